//! Wall mode of the grid (`/?wall=1`): the same cameras filling the screen, without the
//! page's header and banners, shuffled every `rotate` seconds if asked (`&rotate=60`).

use std::ops::RangeInclusive;

use crate::gallery::error::{AppError, Result};
use crate::gallery::views::{Layout, Tile, WallPage};

/// The shuffle periods a wall accepts, in seconds: often enough to watch many cameras,
/// seldom enough for EEN (each shuffle is a grid view) and for people to read the wall.
pub const ROTATE_SECONDS: RangeInclusive<u32> = 10..=3600;

/// A wall, as the query asks for one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wall {
    /// Seconds between shuffles; `None`: the wall keeps its cameras.
    pub rotate: Option<u32>,
}

impl Wall {
    /// The wall `?wall=` and `?rotate=` ask for; `None` for the usual grid. Anything but
    /// `1`/`0` (or nothing) for `wall`, or a `rotate` out of [`ROTATE_SECONDS`] or without a
    /// wall, is a 400 that says what is accepted.
    pub fn from_query(wall: Option<&str>, rotate: Option<&str>) -> Result<Option<Wall>> {
        let on = match wall.unwrap_or_default() {
            "" | "0" => false,
            "1" => true,
            _ => return Err(AppError::BadWall),
        };
        let rotate = match rotate.filter(|text| !text.is_empty()) {
            None => None,
            Some(text) => {
                let seconds: u32 = text.parse().map_err(|_| AppError::BadRotate)?;
                if !on || !ROTATE_SECONDS.contains(&seconds) {
                    return Err(AppError::BadRotate);
                }
                Some(seconds)
            }
        };
        Ok(on.then_some(Wall { rotate }))
    }

    /// The wall page of `tiles`, chosen by `seed`; `next_seed` is the next shuffle's.
    pub fn page(
        self,
        layout: Layout,
        tiles: Vec<Tile>,
        seed: u64,
        next_seed: u64,
        base: &str,
    ) -> WallPage {
        let rotate = self
            .rotate
            .map_or_else(String::new, |seconds| format!("&rotate={seconds}"));
        WallPage {
            layout,
            tiles,
            rotate: self.rotate,
            shuffle_href: format!("{base}/?wall=1{rotate}&seed={next_seed}"),
            exit_href: format!("{base}/?seed={seed}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_turns_the_wall_on_and_bounds_its_rotation() {
        assert_eq!(Wall::from_query(None, None).unwrap(), None);
        assert_eq!(Wall::from_query(Some("0"), Some("")).unwrap(), None);
        assert_eq!(
            Wall::from_query(Some("1"), None).unwrap(),
            Some(Wall { rotate: None })
        );
        assert_eq!(
            Wall::from_query(Some("1"), Some("60")).unwrap(),
            Some(Wall { rotate: Some(60) })
        );
        assert!(Wall::from_query(Some("1"), Some("10")).is_ok());
        assert!(Wall::from_query(Some("1"), Some("3600")).is_ok());
        for wall in ["yes", "2", " 1", "true"] {
            assert!(matches!(
                Wall::from_query(Some(wall), None),
                Err(AppError::BadWall)
            ));
        }
        for rotate in ["9", "3601", "-5", "1e3", "60s", "99999999999"] {
            assert!(matches!(
                Wall::from_query(Some("1"), Some(rotate)),
                Err(AppError::BadRotate)
            ));
        }
        // Shuffling needs a wall.
        assert!(matches!(
            Wall::from_query(None, Some("60")),
            Err(AppError::BadRotate)
        ));
    }
}
