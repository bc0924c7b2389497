//! Mailbox intake: each IMAP source of a workflow is polled through
//! `prodline_imap::poll`, which stores every message and attachment before it
//! flags or moves the message.
//!
//! A mailbox that cannot be reached (or whose password variable is unset) is a
//! problem of this pass, named by host:port, not an error that stops it: the
//! other sources and the rest of the pipeline still run. A store failure does
//! stop the pass, as it does for folder intake.

use prodline_imap::ImapError;
use prodline_store::Store;

use crate::{Clock, RunSummary, RuntimeError, Workflow};

pub(crate) async fn intake_mailboxes<S: Store>(
    workflow: &Workflow,
    store: &S,
    clock: &dyn Clock,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let name = &workflow.config.name;
    for (index, source) in workflow.config.sources.iter().enumerate() {
        let Some(mailbox) = source.mailbox() else { continue };
        let mailbox = match mailbox {
            Ok(mailbox) => mailbox,
            Err(problem) => {
                summary.problems.push(format!("workflow {name} sources[{index}] (imap): {problem}"));
                continue;
            }
        };
        match prodline_imap::poll(&mailbox, store, name, clock.now()).await {
            Ok(pass) => {
                summary.received += pass.stored;
                summary.problems.extend(pass.problems);
            }
            Err(ImapError::Store { source, .. }) => return Err(RuntimeError::Store(source)),
            Err(error) => summary.problems.push(format!("workflow {name}: {error}")),
        }
    }
    Ok(())
}
