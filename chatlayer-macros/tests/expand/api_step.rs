/// Place an order.
///
/// Stores it in the session.
#[allow(clippy::too_many_arguments)]
pub async fn order(
    sku: String,
    quantity: u32,
    #[allow(unused_variables)]
    on_failure: BlockId,
    catalog: Dep<Catalog>,
) -> Result<Reply, StepError> {
    let _ = catalog;
    Ok(Reply::new().add_message(format!("{quantity} x {sku}")))
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
pub struct order {}
#[allow(dead_code)]
impl order {
    /// This step's descriptor, for `App::from_steps`.
    pub const STEP: &'static ::chatlayer_runtime::__private::StepDescriptor = &{
        use ::chatlayer_runtime::__private as __cl;
        const __ARGS: &[__cl::ArgSpec] = &[
            __cl::ArgSpec::new("sku", "sku").with_description("The product code."),
            __cl::ArgSpec::new("quantity", "quantity").with_default_source("1"),
            __cl::ArgSpec::new("on_failure", "onFailure"),
            __cl::ArgSpec::new("catalog", "catalog"),
        ];
        fn __handler(__request: __cl::StepRequest) -> __cl::StepFuture {
            ::std::boxed::Box::pin(async move {
                let __arg0 = <String as __cl::FromStepRequest>::from_step_request(
                    &__request,
                    &__ARGS[0usize],
                )?;
                let __arg1 = __cl::param_or_else::<
                    u32,
                >(&__request, &__ARGS[1usize], || 1)?;
                let __arg2 = <BlockId as __cl::FromStepRequest>::from_step_request(
                    &__request,
                    &__ARGS[2usize],
                )?;
                let __arg3 = <Dep<
                    Catalog,
                > as __cl::FromStepRequest>::from_step_request(
                    &__request,
                    &__ARGS[3usize],
                )?;
                let __output = order(__arg0, __arg1, __arg2, __arg3).await;
                <Result<Reply, StepError> as __cl::IntoReply>::into_reply(__output)
            })
        }
        #[allow(clippy::needless_borrow)]
        fn __describe(__inputs: &mut __cl::StepInputs) {
            #[allow(unused_imports)]
            use __cl::{ViaJsonSchema as _, WithoutJsonSchema as _};
            let _ = &__inputs;
            <String as __cl::FromStepRequest>::describe(
                &__ARGS[0usize]
                    .with_schema((&__cl::SchemaProbe::<String>::NEW).schema_fn()),
                __inputs,
            );
            __cl::describe_param_with_default::<
                u32,
            >(
                &__ARGS[1usize]
                    .with_schema((&__cl::SchemaProbe::<u32>::NEW).schema_fn()),
                __inputs,
            );
            <BlockId as __cl::FromStepRequest>::describe(
                &__ARGS[2usize]
                    .with_schema((&__cl::SchemaProbe::<BlockId>::NEW).schema_fn()),
                __inputs,
            );
            <Dep<
                Catalog,
            > as __cl::FromStepRequest>::describe(
                &__ARGS[3usize]
                    .with_schema((&__cl::SchemaProbe::<Dep<Catalog>>::NEW).schema_fn()),
                __inputs,
            );
        }
        __cl::StepDescriptor::from_parts(__cl::StepParts {
            kind: __cl::StepKind::ApiStep,
            method: __cl::StepMethod::POST,
            path: "/order",
            name: "order",
            module_path: ::core::module_path!(),
            package: ::core::env!("CARGO_PKG_NAME"),
            package_version: ::core::env!("CARGO_PKG_VERSION"),
            package_license: ::core::env!("CARGO_PKG_LICENSE"),
            package_description: ::core::env!("CARGO_PKG_DESCRIPTION"),
            package_homepage: ::core::env!("CARGO_PKG_HOMEPAGE"),
            package_repository: ::core::env!("CARGO_PKG_REPOSITORY"),
            file: ::core::file!(),
            line: ::core::line!(),
            column: ::core::column!(),
            docs: "Place an order.\n\nStores it in the session.",
            tag: ::core::option::Option::None,
            namespace: ::core::option::Option::Some("order"),
            session: ::core::option::Option::Some(
                __cl::session_schema::<Order> as __cl::SchemaFn,
            ),
            fallback: ::core::option::Option::Some("onFailure"),
            fallback_message: ::core::option::Option::None,
            timeout: ::core::option::Option::None,
            deny_unknown_params: false,
            args: __ARGS,
            handler: __handler,
            describe: __describe,
        })
    };
}
::chatlayer_runtime::__private::inventory::submit! {
    ::chatlayer_runtime::__private::Registration(order::STEP)
}
