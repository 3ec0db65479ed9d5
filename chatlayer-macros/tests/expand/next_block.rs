#[allow(clippy::too_many_arguments)]
fn opening_hours(open: BlockId, closed: BlockId) -> BlockId {
    if is_open() { open } else { closed }
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
struct opening_hours {}
#[allow(dead_code)]
impl opening_hours {
    /// This step's descriptor, for `App::from_steps`.
    const STEP: &'static ::chatlayer_runtime::__private::StepDescriptor = &{
        use ::chatlayer_runtime::__private as __cl;
        const __ARGS: &[__cl::ArgSpec] = &[
            __cl::ArgSpec::new("open", "open"),
            __cl::ArgSpec::new("closed", "closed"),
        ];
        fn __handler(__request: __cl::StepRequest) -> __cl::StepFuture {
            ::std::boxed::Box::pin(async move {
                let __arg0 = <BlockId as __cl::FromStepRequest>::from_step_request(
                    &__request,
                    &__ARGS[0usize],
                )?;
                let __arg1 = <BlockId as __cl::FromStepRequest>::from_step_request(
                    &__request,
                    &__ARGS[1usize],
                )?;
                let __output = opening_hours(__arg0, __arg1);
                <BlockId as __cl::NextBlockOutput>::into_next_block(__output)
            })
        }
        #[allow(clippy::needless_borrow)]
        fn __describe(__inputs: &mut __cl::StepInputs) {
            #[allow(unused_imports)]
            use __cl::{ViaJsonSchema as _, WithoutJsonSchema as _};
            let _ = &__inputs;
            <BlockId as __cl::FromStepRequest>::describe(
                &__ARGS[0usize]
                    .with_schema((&__cl::SchemaProbe::<BlockId>::NEW).schema_fn()),
                __inputs,
            );
            <BlockId as __cl::FromStepRequest>::describe(
                &__ARGS[1usize]
                    .with_schema((&__cl::SchemaProbe::<BlockId>::NEW).schema_fn()),
                __inputs,
            );
        }
        __cl::StepDescriptor::from_parts(__cl::StepParts {
            kind: __cl::StepKind::NextBlock,
            method: __cl::StepMethod::POST,
            path: "/opening-hours",
            name: "opening_hours",
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
            docs: "",
            tag: ::core::option::Option::None,
            namespace: ::core::option::Option::None,
            session: ::core::option::Option::None,
            fallback: ::core::option::Option::None,
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
    ::chatlayer_runtime::__private::Registration(opening_hours::STEP)
}
