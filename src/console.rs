//! Diagnostics on stderr. A closed stderr (`fabchart ... 2>&-`, a pipe whose
//! reader went away) must not turn a finished compile into a panic, so
//! nothing here fails.

use std::fmt::Arguments;
use std::io::Write;

/// `warning: <message>` on stderr.
pub fn warn(message: Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "warning: {message}");
}

/// One line of information on stderr.
pub fn note(message: Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}
