//! [`Dep<T>`]: dependencies handed to the app once and shared by every request.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use super::{ArgSpec, FromStepRequest, StepInputs, StepRequest};
use crate::error::StepError;

/// A dependency of a step: a value handed to the app with
/// [`AppBuilder::provide`](crate::AppBuilder::provide), shared by all requests (a database
/// pool, an HTTP client, configuration). Dereferences to `T`.
///
/// Building the app fails, naming the step and the type, when a step takes a `Dep<T>` that
/// nobody provided, so a missing dependency never surfaces as a failed request.
///
/// ```
/// use chatlayer_runtime::prelude::*;
///
/// struct Catalog { prices: std::collections::HashMap<String, f64> }
///
/// #[api_step("/price")]
/// async fn price(sku: String, catalog: Dep<Catalog>) -> Reply {
///     match catalog.prices.get(&sku) {
///         Some(price) => Reply::new().add_message(format!("{sku} costs {price:.2}")),
///         None => Reply::new().add_message(format!("We don't sell {sku}.")),
///     }
/// }
///
/// let catalog = Catalog { prices: [("A1".to_owned(), 9.5)].into() };
/// let app = App::from_steps([price::STEP]).provide(catalog).build().unwrap();
/// # let _ = app;
/// ```
pub struct Dep<T: ?Sized>(Arc<T>);

impl<T> Dep<T> {
    /// Wraps a value, e.g. to call a step function directly in a unit test.
    pub fn new(value: T) -> Self {
        Dep(Arc::new(value))
    }
}

impl<T: ?Sized> From<Arc<T>> for Dep<T> {
    fn from(value: Arc<T>) -> Self {
        Dep(value)
    }
}

impl<T: ?Sized> Dep<T> {
    /// The shared handle.
    pub fn into_arc(self) -> Arc<T> {
        self.0
    }
}

impl<T: ?Sized> Deref for Dep<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> Clone for Dep<T> {
    fn clone(&self) -> Self {
        Dep(Arc::clone(&self.0))
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Dep<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Dep").field(&&*self.0).finish()
    }
}

impl<T: Send + Sync + 'static> FromStepRequest for Dep<T> {
    fn from_step_request(request: &StepRequest, _arg: &ArgSpec) -> Result<Self, StepError> {
        // `App::build` refuses steps whose dependencies are missing, so this only fails for a
        // request built by hand.
        request.dependency::<T>().map(Dep).ok_or_else(|| {
            StepError::internal(format!(
                "no dependency of type `{}` was provided",
                std::any::type_name::<T>()
            ))
        })
    }

    fn describe(_arg: &ArgSpec, inputs: &mut StepInputs) {
        inputs.add_dependency::<T>();
    }
}

/// The dependencies an app was given, by type.
#[derive(Clone, Default)]
pub(crate) struct Dependencies {
    by_type: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl Dependencies {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: Arc<T>) {
        self.by_type.insert(TypeId::of::<T>(), value);
    }

    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let value = self.by_type.get(&TypeId::of::<T>())?;
        Arc::clone(value).downcast::<T>().ok()
    }

    pub(crate) fn contains(&self, type_id: TypeId) -> bool {
        self.by_type.contains_key(&type_id)
    }
}
