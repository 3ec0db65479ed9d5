//! [`ApiDocs`]: what the app says about itself in its OpenAPI document, and whether it
//! serves the document and the docs page.

use std::collections::BTreeMap;

use super::model::{Contact, Info, License};
use crate::descriptor::StepDescriptor;

/// The OpenAPI document's `info` and tags, and what the app serves of it, set with
/// [`AppBuilder::docs`](crate::AppBuilder::docs). Left alone, the title, version,
/// description, license and contact page (`homepage`, else `repository`) are those of the
/// Cargo package that defines the steps, and both the document
/// (`/openapi.json`) and the docs page (`/docs`) are served.
///
/// ```
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::openapi::ApiDocs;
///
/// # #[api_step("/x")] fn x() -> Reply { Reply::new() }
/// let app = App::discover()
///     .docs(
///         ApiDocs::new()
///             .title("Shop bot backend")
///             .description("The steps of the shop bot.")
///             .tag("orders", "Placing and tracking orders"),
///     )
///     .build();
/// # let _ = app;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ApiDocs {
    title: Option<String>,
    version: Option<String>,
    description: Option<String>,
    license: Option<String>,
    tags: BTreeMap<String, String>,
    pub(crate) serve: bool,
    pub(crate) serve_page: bool,
}

impl Default for ApiDocs {
    fn default() -> Self {
        ApiDocs {
            title: None,
            version: None,
            description: None,
            license: None,
            tags: BTreeMap::new(),
            serve: true,
            serve_page: true,
        }
    }
}

impl ApiDocs {
    /// The defaults: see the type's documentation.
    pub fn new() -> Self {
        ApiDocs::default()
    }

    /// The API's title in the document and the docs page.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The API's version in the document.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// What the API is for, shown at the top of the docs page (CommonMark).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// The API's license, as an SPDX expression (e.g. `"MIT OR Apache-2.0"`).
    pub fn license(mut self, spdx: impl Into<String>) -> Self {
        self.license = Some(spdx.into());
        self
    }

    /// Describes the steps tagged `name` (`tag = "orders"` in their attribute), for the
    /// docs page's groups.
    pub fn tag(mut self, name: impl Into<String>, description: impl Into<String>) -> Self {
        self.tags.insert(name.into(), description.into());
        self
    }

    /// Whether the app serves the document at `/openapi.json` (default: yes). Off, the docs
    /// page is off too, since it reads the document; [`App::openapi`](crate::App::openapi)
    /// works either way.
    pub fn serve(mut self, on: bool) -> Self {
        self.serve = on;
        self
    }

    /// Whether the app serves the docs page (Swagger UI) at `/docs` (default: yes). Its
    /// scripts and styles are compiled into the binary and served by the app: the page
    /// works without internet access.
    pub fn serve_page(mut self, on: bool) -> Self {
        self.serve_page = on;
        self
    }

    /// Whether the docs page is served.
    pub(crate) fn serves_page(&self) -> bool {
        self.serve && self.serve_page
    }

    /// The document's `info`, defaulting to the package that defines the most steps, and
    /// the tag descriptions.
    pub(crate) fn resolve(
        &self,
        steps: &[&'static StepDescriptor],
    ) -> (Info, BTreeMap<String, String>) {
        let package = main_package(steps);
        let mut info = match package {
            Some(step) => Info::new(step.package, step.package_version),
            None => Info::new("Chatlayer steps", "0.0.0"),
        };
        if let Some(title) = &self.title {
            info.title = title.clone();
        }
        if let Some(version) = &self.version {
            info.version = version.clone();
        }
        let from_package = |field: fn(&StepDescriptor) -> &'static str| {
            package.map(field).filter(|value| !value.is_empty())
        };
        info.description = self
            .description
            .clone()
            .or_else(|| from_package(|step| step.package_description).map(str::to_owned));
        info.contact = from_package(|step| step.package_homepage)
            .or_else(|| from_package(|step| step.package_repository))
            .map(Contact::url);
        let license = self.license.clone().or_else(|| {
            package
                .map(|step| step.package_license)
                .filter(|license| !license.is_empty())
                .map(str::to_owned)
        });
        info.license = license.map(License::spdx);
        (info, self.tags.clone())
    }
}

/// A step of the package that defines the most steps (ties go to the first name in
/// alphabetical order), for the document's default title, version and license.
fn main_package(steps: &[&'static StepDescriptor]) -> Option<&'static StepDescriptor> {
    let mut counts: BTreeMap<&str, (usize, &'static StepDescriptor)> = BTreeMap::new();
    for step in steps.iter().filter(|step| !step.package.is_empty()) {
        counts.entry(step.package).or_insert((0, step)).0 += 1;
    }
    let mut best: Option<(usize, &'static StepDescriptor)> = None;
    for (count, step) in counts.into_values() {
        if best.is_none_or(|(best_count, _)| count > best_count) {
            best = Some((count, step));
        }
    }
    best.map(|(_, step)| step)
}

#[cfg(test)]
mod tests {
    use super::*;

    static SHOP: StepDescriptor = StepDescriptor {
        package: "shop-bot",
        package_version: "1.2.0",
        package_description: "The shop's bot backend.",
        package_homepage: "",
        package_repository: "https://git.example.com/shop-bot",
        ..StepDescriptor::INVALID
    };

    /// Spectral's `oas` rules asked for `info.description` and `info.contact`: both come
    /// from the package, as the title and version do, unless `ApiDocs` says otherwise.
    #[test]
    fn the_description_and_the_contact_page_come_from_the_package() {
        let (info, _) = ApiDocs::new().resolve(&[&SHOP]);
        assert_eq!(info.title, "shop-bot");
        assert_eq!(info.description.as_deref(), Some("The shop's bot backend."));
        assert_eq!(
            info.contact,
            Some(Contact::url("https://git.example.com/shop-bot"))
        );

        let (info, _) = ApiDocs::new().description("Ours.").resolve(&[&SHOP]);
        assert_eq!(info.description.as_deref(), Some("Ours."));

        static NO_PAGE: StepDescriptor = StepDescriptor {
            package: "shop-bot",
            package_repository: "",
            ..StepDescriptor::INVALID
        };
        let (info, _) = ApiDocs::new().resolve(&[&NO_PAGE]);
        assert_eq!((info.description, info.contact), (None, None));
    }
}
