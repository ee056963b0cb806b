//! NudeNet's 18 body-part classes, in the model's output order.

use serde::{Deserialize, Serialize};

/// Number of classes the model scores.
pub const NUM_CLASSES: usize = 18;

/// The class names exactly as NudeNet 3.4.2 spells them, in output order
/// (index `i` is the score at row `4 + i` of the model output).
pub const CLASSES: [&str; NUM_CLASSES] = [
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
];

/// A body-part class; serialises as its NudeNet name (e.g. `"FACE_FEMALE"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Class {
    /// `FEMALE_GENITALIA_COVERED` (index 0).
    FemaleGenitaliaCovered,
    /// `FACE_FEMALE` (index 1).
    FaceFemale,
    /// `BUTTOCKS_EXPOSED` (index 2).
    ButtocksExposed,
    /// `FEMALE_BREAST_EXPOSED` (index 3).
    FemaleBreastExposed,
    /// `FEMALE_GENITALIA_EXPOSED` (index 4).
    FemaleGenitaliaExposed,
    /// `MALE_BREAST_EXPOSED` (index 5).
    MaleBreastExposed,
    /// `ANUS_EXPOSED` (index 6).
    AnusExposed,
    /// `FEET_EXPOSED` (index 7).
    FeetExposed,
    /// `BELLY_COVERED` (index 8).
    BellyCovered,
    /// `FEET_COVERED` (index 9).
    FeetCovered,
    /// `ARMPITS_COVERED` (index 10).
    ArmpitsCovered,
    /// `ARMPITS_EXPOSED` (index 11).
    ArmpitsExposed,
    /// `FACE_MALE` (index 12).
    FaceMale,
    /// `BELLY_EXPOSED` (index 13).
    BellyExposed,
    /// `MALE_GENITALIA_EXPOSED` (index 14).
    MaleGenitaliaExposed,
    /// `ANUS_COVERED` (index 15).
    AnusCovered,
    /// `FEMALE_BREAST_COVERED` (index 16).
    FemaleBreastCovered,
    /// `BUTTOCKS_COVERED` (index 17).
    ButtocksCovered,
}

impl Class {
    /// Every class, in model output order (`ALL[i].index() == i`).
    pub const ALL: [Class; NUM_CLASSES] = [
        Class::FemaleGenitaliaCovered,
        Class::FaceFemale,
        Class::ButtocksExposed,
        Class::FemaleBreastExposed,
        Class::FemaleGenitaliaExposed,
        Class::MaleBreastExposed,
        Class::AnusExposed,
        Class::FeetExposed,
        Class::BellyCovered,
        Class::FeetCovered,
        Class::ArmpitsCovered,
        Class::ArmpitsExposed,
        Class::FaceMale,
        Class::BellyExposed,
        Class::MaleGenitaliaExposed,
        Class::AnusCovered,
        Class::FemaleBreastCovered,
        Class::ButtocksCovered,
    ];

    /// The class at model output index `i` (`None` past the last).
    pub fn from_index(i: usize) -> Option<Class> {
        Class::ALL.get(i).copied()
    }

    /// The class's model output index.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The class's NudeNet name, e.g. `"FACE_FEMALE"`.
    pub fn as_str(self) -> &'static str {
        CLASSES[self.index()]
    }

    /// The class with this exact NudeNet name.
    pub fn from_name(name: &str) -> Option<Class> {
        CLASSES.iter().position(|c| *c == name).and_then(Class::from_index)
    }

    /// Whether the class is an exposed body part (its name contains
    /// `EXPOSED`); these are the classes blurred by default.
    pub fn is_exposed(self) -> bool {
        matches!(
            self,
            Class::ButtocksExposed
                | Class::FemaleBreastExposed
                | Class::FemaleGenitaliaExposed
                | Class::MaleBreastExposed
                | Class::AnusExposed
                | Class::FeetExposed
                | Class::ArmpitsExposed
                | Class::BellyExposed
                | Class::MaleGenitaliaExposed
        )
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Class {
    type Err = String;

    fn from_str(s: &str) -> Result<Class, String> {
        Class::from_name(s).ok_or_else(|| format!("unknown NudeNet class {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_names_and_serde_agree() {
        for (i, class) in Class::ALL.iter().enumerate() {
            assert_eq!(class.index(), i);
            assert_eq!(Class::from_index(i), Some(*class));
            assert_eq!(class.as_str(), CLASSES[i]);
            assert_eq!(Class::from_name(CLASSES[i]), Some(*class));
            assert_eq!(serde_json::to_string(class).unwrap(), format!("\"{}\"", CLASSES[i]));
            let back: Class = serde_json::from_str(&format!("\"{}\"", CLASSES[i])).unwrap();
            assert_eq!(back, *class);
            assert_eq!(class.is_exposed(), CLASSES[i].contains("EXPOSED"), "{class}");
        }
        assert_eq!(Class::from_index(NUM_CLASSES), None);
        assert_eq!(Class::from_name("face_female"), None);
        assert_eq!(Class::ALL.iter().filter(|c| c.is_exposed()).count(), 9);
        assert_eq!(CLASSES[0], "FEMALE_GENITALIA_COVERED");
        assert_eq!(CLASSES[17], "BUTTOCKS_COVERED");
    }
}
