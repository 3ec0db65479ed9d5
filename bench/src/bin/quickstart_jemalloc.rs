//! The quickstart with jemalloc as its global allocator, for the memory harness.

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> Result<(), chatlayer_runtime::ServeError> {
    quickstart::app().run().await
}
