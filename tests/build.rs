//! Finds the outside tools the tests run: see support/tools.rs.

include!("support/tools.rs");
