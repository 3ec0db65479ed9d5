//! [`Dep<T>`]: dependencies handed to the app once and shared by every request.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock};

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
        request
            .dependencies()
            .get::<T>()
            .map(Dep)
            .map_err(StepError::internal)
    }

    fn describe(_arg: &ArgSpec, inputs: &mut StepInputs) {
        inputs.add_dependency::<T>();
    }
}

type Shared = Arc<dyn Any + Send + Sync>;

/// What makes a deferred dependency, once.
type Make = Box<dyn FnOnce() -> Result<Shared, String> + Send>;

/// The dependencies an app was given, by type.
#[derive(Clone, Default)]
pub(crate) struct Dependencies {
    by_type: HashMap<TypeId, Provided>,
}

/// A dependency as given: its value, or what makes it when the app first needs it
/// ([`AppBuilder::provide_with`](crate::AppBuilder::provide_with)).
#[derive(Clone)]
enum Provided {
    Ready(Shared),
    Deferred(Arc<Deferred>),
}

/// A dependency made when first needed, once; its failure is kept, to be told to every
/// step that needs it.
struct Deferred {
    type_name: &'static str,
    make: Mutex<Option<Make>>,
    made: OnceLock<Result<Shared, String>>,
}

impl Deferred {
    fn value(&self) -> &Result<Shared, String> {
        self.made.get_or_init(|| {
            let make = self
                .make
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take();
            match make {
                Some(make) => make().map_err(|problem| {
                    format!(
                        "the dependency `{}` could not be made: {problem}",
                        self.type_name
                    )
                }),
                None => Err(format!(
                    "the dependency `{}` panicked while it was made",
                    self.type_name
                )),
            }
        })
    }
}

impl Dependencies {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: Arc<T>) {
        self.by_type
            .insert(TypeId::of::<T>(), Provided::Ready(value));
    }

    /// Registers `make` for `T`: it runs when the app first needs `T`.
    pub(crate) fn insert_deferred<T, E>(
        &mut self,
        make: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) where
        T: Send + Sync + 'static,
        E: fmt::Display,
    {
        let make: Make = Box::new(move || {
            make()
                .map(|value| Arc::new(value) as Shared)
                .map_err(|problem| problem.to_string())
        });
        self.by_type.insert(
            TypeId::of::<T>(),
            Provided::Deferred(Arc::new(Deferred {
                type_name: std::any::type_name::<T>(),
                make: Mutex::new(Some(make)),
                made: OnceLock::new(),
            })),
        );
    }

    /// The dependency of type `T`, made now if it was deferred; why there is none.
    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Result<Arc<T>, String> {
        let value = match self.by_type.get(&TypeId::of::<T>()) {
            Some(Provided::Ready(value)) => value,
            Some(Provided::Deferred(deferred)) => {
                deferred.value().as_ref().map_err(Clone::clone)?
            }
            None => {
                return Err(format!(
                    "no dependency of type `{}` was provided",
                    std::any::type_name::<T>()
                ));
            }
        };
        Arc::clone(value)
            .downcast::<T>()
            .map_err(|_| "a dependency of another type was stored".to_owned())
    }

    /// Makes every deferred dependency not made yet; the failures, one per dependency.
    pub(crate) fn make_deferred(&self) -> Vec<String> {
        self.by_type
            .values()
            .filter_map(|provided| match provided {
                Provided::Deferred(deferred) => deferred.value().as_ref().err().cloned(),
                Provided::Ready(_) => None,
            })
            .collect()
    }

    pub(crate) fn contains(&self, type_id: TypeId) -> bool {
        self.by_type.contains_key(&type_id)
    }
}
