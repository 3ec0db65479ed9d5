//! The quickstart with mimalloc as its global allocator, for the memory harness.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), chatlayer_runtime::ServeError> {
    quickstart::app().run().await
}
