//! Building an app checks everything at once: no steps, two steps on one route, a dependency
//! nobody provided. This test binary deliberately registers two steps on `POST /dup`.

use chatlayer_runtime::prelude::*;
use chatlayer_runtime::{BuildProblem, StepDescriptor};

mod first {
    use super::*;

    #[api_step("/dup")]
    pub async fn dup() -> Reply {
        Reply::new()
    }
}

mod second {
    use super::*;

    #[api_step("/dup")]
    pub async fn dup() -> Reply {
        Reply::new()
    }
}

pub struct Database;
pub struct Mailer;

#[api_step("/needs-deps")]
async fn needs_deps(_db: Dep<Database>, _mail: Dep<Mailer>) -> Reply {
    Reply::new()
}

#[next_block("/a", method = GET)]
fn a_get(to: BlockId) -> BlockId {
    to
}

#[next_block("/a")]
fn a_post(to: BlockId) -> BlockId {
    to
}

fn location_of(step: &StepDescriptor) -> String {
    step.location()
}

#[test]
fn discovery_reports_a_duplicate_route_naming_both_places() {
    let error = App::discover()
        .provide(Database)
        .provide(Mailer)
        .build()
        .unwrap_err();
    let duplicate = error
        .problems()
        .iter()
        .find(|problem| matches!(problem, BuildProblem::DuplicateRoute { .. }))
        .expect("the duplicate is reported");
    let text = duplicate.to_string();
    assert!(text.contains("two steps answer POST /dup"), "{text}");
    assert!(
        text.contains(&format!(
            "app_build::first::dup at {}",
            location_of(first::dup::STEP)
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "app_build::second::dup at {}",
            location_of(second::dup::STEP)
        )),
        "{text}"
    );
    assert!(
        first::dup::STEP
            .location()
            .starts_with("tests/app_build.rs:")
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let error = App::discover().build().unwrap_err();
    let problems = error.problems();
    assert_eq!(problems.len(), 3, "{error}");
    assert!(matches!(
        problems[0],
        BuildProblem::DuplicateRoute { path: "/dup", .. }
    ));
    let missing: Vec<&str> = problems[1..]
        .iter()
        .map(|problem| match problem {
            BuildProblem::MissingDependency {
                step: "needs_deps",
                type_name,
                ..
            } => *type_name,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(missing, ["app_build::Database", "app_build::Mailer"]);
    let text = format!("{error:?}"); // `main() -> Result<_, BuildError>` prints this
    assert!(
        text.starts_with("the Chatlayer app cannot be built (3 problems):"),
        "{text}"
    );
    assert!(text.contains("takes Dep<app_build::Mailer>, but no `app_build::Mailer` was provided"));
}

#[test]
fn a_missing_dependency_names_the_step_the_type_and_the_fix() {
    let error = App::from_steps([needs_deps::STEP])
        .provide(Database)
        .build()
        .unwrap_err();
    assert_eq!(
        error.problems(),
        [BuildProblem::MissingDependency {
            step: "needs_deps",
            location: needs_deps::STEP.location(),
            type_name: "app_build::Mailer",
            arc_provided: false,
        }]
    );
    assert!(error.to_string().contains(".provide(value)"));
    assert!(
        App::from_steps([needs_deps::STEP])
            .provide(Database)
            .provide(Mailer)
            .build()
            .is_ok()
    );
}

#[test]
fn an_app_with_no_steps_is_refused() {
    let error = App::from_steps([]).build().unwrap_err();
    assert_eq!(
        error.problems(),
        [BuildProblem::NoSteps { discovered: false }]
    );
    let filtered = App::discover().retain(|_| false).build().unwrap_err();
    assert_eq!(
        filtered.problems(),
        [BuildProblem::NoSteps { discovered: true }]
    );
    assert!(filtered.to_string().contains("use my_steps as _;"));
}

#[test]
fn discovery_is_sorted_and_filterable() {
    let app = App::discover()
        .retain(|step| step.module_path() == "app_build")
        .provide(Database)
        .provide(Mailer)
        .build()
        .unwrap();
    let routes: Vec<String> = app
        .steps()
        .iter()
        .map(|step| format!("{} {}", step.method(), step.path()))
        .collect();
    assert_eq!(routes, ["GET /a", "POST /a", "POST /needs-deps"]);
}

#[test]
fn the_same_step_listed_twice_is_a_problem_naming_it() {
    let error = App::from_steps([a_get::STEP, a_post::STEP, a_get::STEP, a_get::STEP])
        .build()
        .unwrap_err();
    assert_eq!(
        error.problems(),
        [BuildProblem::StepListedTwice {
            step: format!("app_build::a_get at {}", a_get::STEP.location())
        }]
    );
    assert!(
        error
            .to_string()
            .contains("is listed twice in App::from_steps"),
        "{error}"
    );
}

#[test]
fn an_arc_handed_to_provide_is_named_with_the_fix() {
    let error = App::from_steps([needs_deps::STEP])
        .provide(Database)
        .provide(std::sync::Arc::new(Mailer))
        .build()
        .unwrap_err();
    assert!(matches!(
        error.problems(),
        [BuildProblem::MissingDependency {
            type_name: "app_build::Mailer",
            arc_provided: true,
            ..
        }]
    ));
    let text = error.to_string();
    assert!(
        text.contains("an `Arc<app_build::Mailer>` was handed to provide(..)"),
        "{text}"
    );
    assert!(text.contains("provide_arc(arc)"), "{text}");
    assert!(
        App::from_steps([needs_deps::STEP])
            .provide(Database)
            .provide_arc(std::sync::Arc::new(Mailer))
            .build()
            .is_ok()
    );
}

/// Before, a problem found late (a setting naming a step the app does not serve) was
/// hidden whenever an earlier one was found.
#[test]
fn problems_of_settings_are_reported_with_the_others() {
    let error = App::from_steps([needs_deps::STEP])
        .security(
            chatlayer_runtime::security::Security::new()
                .auth_for(a_get::STEP, chatlayer_runtime::security::Auth::none()),
        )
        .build()
        .unwrap_err();
    let kinds: Vec<&str> = error
        .problems()
        .iter()
        .map(|problem| match problem {
            BuildProblem::MissingDependency { .. } => "dependency",
            BuildProblem::UnknownStep { .. } => "unknown step",
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["dependency", "dependency", "unknown step"]);
}

/// A budget for bodies in transit below the body limit would refuse every body of the
/// limit with 503, under no load at all.
#[test]
fn a_body_budget_below_the_body_limit_is_a_problem() {
    let error = App::from_steps([a_get::STEP])
        .limits(
            chatlayer_runtime::Limits::new()
                .body(1_000)
                .body_budget(999),
        )
        .build()
        .unwrap_err();
    assert_eq!(
        error.problems(),
        [BuildProblem::BodyBudgetBelowLimit {
            budget: 999,
            limit: 1_000
        }]
    );
    assert!(
        error.to_string().contains("raise Limits::body_budget"),
        "{error}"
    );
    assert!(
        App::from_steps([a_get::STEP])
            .limits(
                chatlayer_runtime::Limits::new()
                    .body(1_000)
                    .body_budget(1_000)
            )
            .build()
            .is_ok()
    );
}

#[test]
fn the_inputs_record_parameters_and_dependencies() {
    let signature = needs_deps::STEP.inputs();
    let types: Vec<&str> = signature
        .dependencies()
        .iter()
        .map(|d| d.type_name)
        .collect();
    assert_eq!(types, ["app_build::Database", "app_build::Mailer"]);
    let params = a_get::STEP.inputs();
    assert_eq!(params.params().len(), 1);
    assert!(params.params()[0].required && params.params()[0].block_id);
}
