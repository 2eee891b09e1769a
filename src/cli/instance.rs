//! `rollsim instance --version V --port P …`: one live instance (an HTTP service on
//! loopback that behaves as a model's instance of a release). `rollsim live` starts
//! these itself; see [`crate::live::instance`].

use crate::Error;
pub(crate) use crate::live::instance::InstanceArgs;

pub(crate) fn run(args: &InstanceArgs) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(crate::live::instance::serve(args))
}
