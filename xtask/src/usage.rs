//! `cargo xtask --help` in groups: the learner's commands first, then the
//! instructor's, then the author's. clap lists subcommands under one
//! heading, so the list is written into the help template here, from the
//! command's own subcommands: their about texts stay the `///` docs in
//! main.rs.

use std::fmt::Write as _;

use clap::Command;

/// Every subcommand under its heading, in the order `--help` lists them.
/// The headings are the README's.
const GROUPS: &[(&str, &[&str])] = &[
    (
        "During the workshop",
        &[
            "start", "check", "hint", "watch", "solution", "reset", "list",
        ],
    ),
    (
        "For instructors",
        &[
            "setup", "doctor", "room", "slides", "serve", "rates", "bench",
        ],
    ),
    ("For authors", &["gen", "selftest", "timing"]),
];

/// `command` with a help template that lists its subcommands in [`GROUPS`],
/// in columns as clap aligns them.
pub fn grouped(command: Command) -> Command {
    let header = command.get_styles().get_header();
    let literal = command.get_styles().get_literal();
    let listed: Vec<(&str, Vec<&Command>)> = GROUPS
        .iter()
        .map(|(heading, names)| {
            let commands = names
                .iter()
                .filter_map(|name| command.find_subcommand(name))
                .filter(|sub| !sub.is_hide_set())
                .collect();
            (*heading, commands)
        })
        .collect();
    let width = listed
        .iter()
        .flat_map(|(_, commands)| commands)
        .map(|sub| sub.get_name().chars().count())
        .max()
        .unwrap_or(0);

    let mut template = String::from("{before-help}{about-with-newline}\n{usage-heading} {usage}\n");
    for (heading, commands) in listed.iter().filter(|(_, c)| !c.is_empty()) {
        let _ = write!(template, "\n{header}{heading}:{header:#}\n");
        for sub in commands {
            let name = sub.get_name();
            let about = sub
                .get_about()
                .or_else(|| sub.get_long_about())
                .map(ToString::to_string)
                .unwrap_or_default();
            let pad = " ".repeat(width - name.chars().count());
            let _ = writeln!(template, "  {literal}{name}{literal:#}{pad}  {about}");
        }
    }
    let _ = write!(
        template,
        "\n{header}Options:{header:#}\n{{options}}{{after-help}}"
    );
    command.help_template(template)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::Cli;

    #[test]
    fn every_subcommand_is_in_exactly_one_group() {
        let command = Cli::command();
        let grouped: Vec<&str> = GROUPS
            .iter()
            .flat_map(|(_, names)| names.iter().copied())
            .collect();
        for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
            let times = grouped
                .iter()
                .filter(|name| **name == sub.get_name())
                .count();
            assert_eq!(
                times,
                1,
                "`{}` is in {times} groups of usage::GROUPS",
                sub.get_name()
            );
        }
        for name in grouped {
            assert!(
                command.find_subcommand(name).is_some(),
                "usage::GROUPS lists `{name}`, which is no subcommand"
            );
        }
    }

    #[test]
    fn the_help_lists_every_subcommand_under_its_heading_in_columns() {
        let command = Cli::command();
        let help = grouped(command.clone()).render_help().to_string();
        let mut from = 0;
        for (heading, names) in GROUPS {
            let at = help[from..]
                .find(&format!("\n{heading}:\n"))
                .unwrap_or_else(|| panic!("no `{heading}:` after the previous group in\n{help}"));
            from += at;
            for name in *names {
                let sub = command.find_subcommand(name).expect("a subcommand");
                let about = sub.get_about().expect("an about").to_string();
                // Whole (a `{` in an about would be eaten as a template tag),
                // in the column after the longest names, solution and selftest.
                let line = format!("\n  {name:<8}  {about}\n");
                let at = help[from..]
                    .find(&line)
                    .unwrap_or_else(|| panic!("no {line:?} in its place in\n{help}"));
                from += at + 1;
            }
        }
        assert!(help[from..].contains("\nOptions:\n  -h, --help"), "{help}");
    }
}
