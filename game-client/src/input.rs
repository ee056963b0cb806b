//! Keys and on-screen buttons as [`Command`]s.

use edgepix_core::game::Move;

use crate::session::Command;

/// The command for a `KeyboardEvent.key`, if any.
pub fn command_for_key(key: &str) -> Option<Command> {
    Some(match key {
        "ArrowLeft" | "a" | "A" => Command::Move(Move::Left),
        "ArrowRight" | "d" | "D" => Command::Move(Move::Right),
        "ArrowUp" | "w" | "W" => Command::Move(Move::Jump),
        "ArrowDown" | "s" | "S" => Command::Move(Move::Wait),
        " " | "Spacebar" => Command::Action,
        "Enter" => Command::Confirm,
        "r" | "R" => Command::Restart,
        "m" | "M" => Command::ToggleSound,
        _ => return None,
    })
}

/// The on-screen buttons: `data-cmd` value, label and accessible name.
pub const BUTTONS: [(&str, &str, &str); 5] = [
    ("left", "\u{25C0}", "Left"),
    ("right", "\u{25B6}", "Right"),
    ("jump", "\u{2912}", "Jump"),
    ("wait", "\u{2016}", "Wait"),
    ("sound", "\u{266A}", "Sound"),
];

/// The command for a button's `data-cmd`.
pub fn command_for_button(name: &str) -> Option<Command> {
    Some(match name {
        "left" => Command::Move(Move::Left),
        "right" => Command::Move(Move::Right),
        "jump" => Command::Move(Move::Jump),
        "wait" => Command::Move(Move::Wait),
        "sound" => Command::ToggleSound,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_commands() {
        assert_eq!(command_for_key("ArrowLeft"), Some(Command::Move(Move::Left)));
        assert_eq!(command_for_key("D"), Some(Command::Move(Move::Right)));
        assert_eq!(command_for_key("w"), Some(Command::Move(Move::Jump)));
        assert_eq!(command_for_key("ArrowDown"), Some(Command::Move(Move::Wait)));
        assert_eq!(command_for_key(" "), Some(Command::Action));
        assert_eq!(command_for_key("Enter"), Some(Command::Confirm));
        assert_eq!(command_for_key("r"), Some(Command::Restart));
        assert_eq!(command_for_key("M"), Some(Command::ToggleSound));
        assert_eq!(command_for_key("Tab"), None);
    }

    #[test]
    fn every_button_has_a_command() {
        assert!(BUTTONS.iter().all(|(name, _, _)| command_for_button(name).is_some()));
    }
}
