//! `augur try` end to end on the bundled sample data.
