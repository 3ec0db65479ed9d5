//! Finds the outside tools the tests run: see ../../tests/support/tools.rs.

include!("../../tests/support/tools.rs");
