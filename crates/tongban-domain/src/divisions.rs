//! China's administrative divisions above township level (GB/T 2260 codes), for address
//! fields: an applicant picks a province, then a city, then a county, then types the street.
//!
//! The national list is `data/divisions.tsv` (the Ministry of Civil Affairs list, see
//! `docs/divisions.md`), compiled into the binary and parsed once. It holds only code and
//! name: the level and the parent follow from the code. `XX0000` is a province-level unit,
//! `XXYY00` a prefecture-level one, anything else county-level; a county's parent is its
//! prefecture `XXYY00` when that exists, otherwise its province.
//!
//! The official list has no row for the placeholders `市辖区` (110100), `县` (500200) or
//! `省直辖县级行政区划` (429000), so nothing here invents them: the districts of the four
//! municipalities and the province-administered county-level cities (仙桃市, 济源市, 石河子市…)
//! hang directly under their province. `path("110105")` is therefore `[北京市, 朝阳区]`, whose
//! names join into the address as people write it ("北京市朝阳区", not "北京市市辖区朝阳区").
//! A few prefectures have no counties at all (东莞市, 中山市, 儋州市, 嘉峪关市) and 台湾省,
//! 香港特别行政区 and 澳门特别行政区 have no subdivisions in the list: an address there is
//! complete at that division, which [`Divisions::is_address_end`] reports.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::forms::DivisionLookup;

const NATIONAL_TSV: &str = include_str!("../data/divisions.tsv");

/// The tier of a division, read from the shape of its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 省级: provinces, autonomous regions, municipalities, special administrative regions.
    Province,
    /// 地级: prefecture-level cities, prefectures, leagues, autonomous prefectures.
    City,
    /// 县级: districts, counties, county-level cities, banners.
    County,
}

impl Level {
    /// The level a six-digit code denotes, or `None` when `code` is not six ASCII digits or
    /// is `000000`.
    pub fn of_code(code: &str) -> Option<Level> {
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) || code.starts_with("00") {
            return None;
        }
        Some(if code.ends_with("0000") {
            Level::Province
        } else if code.ends_with("00") {
            Level::City
        } else {
            Level::County
        })
    }
}

/// One administrative division.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Division {
    /// Six digits, e.g. `440305`.
    pub code: String,
    /// The full official name, e.g. `南山区`.
    pub name: String,
    pub level: Level,
    /// The code of the division it belongs to; `None` for province-level units.
    pub parent: Option<String>,
}

impl Division {
    /// A division whose level follows from its code; its parent is filled in when it joins a
    /// [`Divisions`].
    pub fn new(code: &str, name: &str) -> Result<Division, DivisionsError> {
        let level = Level::of_code(code).ok_or_else(|| DivisionsError::InvalidCode {
            code: code.to_owned(),
        })?;
        let name = name.trim();
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(DivisionsError::InvalidName {
                code: code.to_owned(),
            });
        }
        Ok(Division {
            code: code.to_owned(),
            name: name.to_owned(),
            level,
            parent: None,
        })
    }
}

/// Why a set of divisions was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DivisionsError {
    #[error("{code:?} is not a six-digit division code")]
    InvalidCode { code: String },
    #[error("division {code}: the name is empty or has control characters")]
    InvalidName { code: String },
    #[error("division {code}: level {level:?} does not match the code's shape")]
    LevelMismatch { code: String, level: Level },
    #[error("division {code} is listed twice")]
    Duplicate { code: String },
    #[error("division {code}: parent {parent} is not in the list")]
    UnknownParent { code: String, parent: String },
    #[error("division {code}: {parent} cannot be its parent (wrong level or code prefix)")]
    BadParent { code: String, parent: String },
    #[error("divisions.tsv line {line}: {reason}")]
    BadLine { line: usize, reason: String },
}

/// A set of divisions indexed for lookups: the national list, possibly with extra ones.
#[derive(Debug, Clone)]
pub struct Divisions {
    /// Sorted by code, so children and provinces come out in code order.
    entries: Vec<Division>,
    index: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
    provinces: Vec<usize>,
}

impl Divisions {
    /// The national list, parsed on first use.
    pub fn national() -> &'static Divisions {
        static NATIONAL: OnceLock<Divisions> = OnceLock::new();
        NATIONAL.get_or_init(|| {
            // The file is part of the source tree and the tests parse it: failing here is a
            // build defect, not something a request can cause.
            Divisions::build(parse_tsv(NATIONAL_TSV).expect("data/divisions.tsv parses"))
                .expect("data/divisions.tsv is consistent")
        })
    }

    /// The national list plus `extra` divisions, e.g. a catalogue's own fictitious region.
    ///
    /// An extra division without a parent gets one derived from its code like the national
    /// ones, so a new city needs its province in the list or among `extra` (the demo region
    /// 990100 示范市 needs a 990000 row). Codes already in the national list are refused
    /// rather than silently renamed.
    pub fn with_extra(extra: Vec<Division>) -> Result<Divisions, DivisionsError> {
        let mut all = Divisions::national().entries.clone();
        all.extend(extra);
        Divisions::build(all)
    }

    fn build(mut entries: Vec<Division>) -> Result<Divisions, DivisionsError> {
        for d in &entries {
            match Level::of_code(&d.code) {
                None => {
                    return Err(DivisionsError::InvalidCode {
                        code: d.code.clone(),
                    });
                }
                Some(level) if level != d.level => {
                    return Err(DivisionsError::LevelMismatch {
                        code: d.code.clone(),
                        level: d.level,
                    });
                }
                Some(_) => {}
            }
        }
        entries.sort_by(|a, b| a.code.cmp(&b.code));
        if let Some(pair) = entries.windows(2).find(|w| w[0].code == w[1].code) {
            return Err(DivisionsError::Duplicate {
                code: pair[0].code.clone(),
            });
        }
        let index: HashMap<String, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, d)| (d.code.clone(), i))
            .collect();

        for i in 0..entries.len() {
            let parent = match (&entries[i].parent, entries[i].level) {
                (_, Level::Province) => None,
                (Some(given), _) => Some(given.clone()),
                (None, level) => Some(derived_parent(&entries[i].code, level, &index)),
            };
            if let Some(parent) = &parent {
                check_parent(&entries[i], parent, &entries, &index)?;
            }
            entries[i].parent = parent;
        }

        let mut children: HashMap<String, Vec<usize>> = HashMap::new();
        let mut provinces = Vec::new();
        for (i, d) in entries.iter().enumerate() {
            match &d.parent {
                Some(parent) => children.entry(parent.clone()).or_default().push(i),
                None => provinces.push(i),
            }
        }
        Ok(Divisions {
            entries,
            index,
            children,
            provinces,
        })
    }

    /// The division with this code, if any. Any string may be passed: unknown or malformed
    /// codes give `None`.
    pub fn get(&self, code: &str) -> Option<&Division> {
        self.index.get(code).map(|&i| &self.entries[i])
    }

    /// Province-level units, by code.
    pub fn provinces(&self) -> Vec<&Division> {
        self.provinces.iter().map(|&i| &self.entries[i]).collect()
    }

    /// The divisions directly under `code`, by code: cities of a province (and, for
    /// municipalities and province-administered counties, counties), counties of a city.
    /// Empty for a county, a division without subdivisions or an unknown code.
    pub fn children(&self, code: &str) -> Vec<&Division> {
        self.children
            .get(code)
            .map(|ids| ids.iter().map(|&i| &self.entries[i]).collect())
            .unwrap_or_default()
    }

    /// From the province down to `code` itself: `[广东省, 深圳市, 南山区]`, `[北京市, 朝阳区]`,
    /// `[香港特别行政区]`. Empty for an unknown code.
    pub fn path(&self, code: &str) -> Vec<&Division> {
        let mut path = Vec::with_capacity(3);
        let mut next = self.get(code);
        // Parents are strictly higher levels (checked when built), so this ends within three.
        while let Some(d) = next {
            path.push(d);
            next = d.parent.as_deref().and_then(|p| self.get(p));
        }
        path.reverse();
        path
    }

    /// The names along [`Divisions::path`] joined as an address is written: `广东省深圳市南山区`.
    pub fn full_name(&self, code: &str) -> Option<String> {
        let path = self.path(code);
        (!path.is_empty()).then(|| path.iter().map(|d| d.name.as_str()).collect())
    }

    /// Whether `code` is a known county-level division.
    pub fn is_county(&self, code: &str) -> bool {
        self.get(code).is_some_and(|d| d.level == Level::County)
    }

    /// Whether an address can stop at `code` and go on with the street: a known division with
    /// nothing under it. True for every county, and for 东莞市, 中山市, 儋州市, 嘉峪关市, 台湾省,
    /// 香港特别行政区 and 澳门特别行政区, which have no subdivisions in the list.
    pub fn is_address_end(&self, code: &str) -> bool {
        self.index.contains_key(code) && !self.children.contains_key(code)
    }

    /// All divisions, by code.
    pub fn iter(&self) -> impl Iterator<Item = &Division> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Address fields ask whether the chosen division finishes the choice; the divisions without
/// counties (东莞市, 香港特别行政区…) do, or people living there could not apply.
impl DivisionLookup for Divisions {
    fn ends_address(&self, code: &str) -> bool {
        self.is_address_end(code)
    }
}

/// A city's province; a county's prefecture if listed, otherwise its province.
fn derived_parent(code: &str, level: Level, index: &HashMap<String, usize>) -> String {
    let province = format!("{}0000", &code[..2]);
    match level {
        Level::County => {
            let city = format!("{}00", &code[..4]);
            if index.contains_key(&city) {
                city
            } else {
                province
            }
        }
        _ => province,
    }
}

fn check_parent(
    child: &Division,
    parent: &str,
    entries: &[Division],
    index: &HashMap<String, usize>,
) -> Result<(), DivisionsError> {
    let Some(&p) = index.get(parent) else {
        return Err(DivisionsError::UnknownParent {
            code: child.code.clone(),
            parent: parent.to_owned(),
        });
    };
    let p = &entries[p];
    let prefix = match p.level {
        Level::Province => &p.code[..2],
        Level::City => &p.code[..4],
        Level::County => "",
    };
    if p.level >= child.level || prefix.is_empty() || !child.code.starts_with(prefix) {
        return Err(DivisionsError::BadParent {
            code: child.code.clone(),
            parent: parent.to_owned(),
        });
    }
    Ok(())
}

/// `code<TAB>name` lines; `#` starts a comment line.
fn parse_tsv(text: &str) -> Result<Vec<Division>, DivisionsError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |reason: String| DivisionsError::BadLine {
            line: n + 1,
            reason,
        };
        let (code, name) = line
            .split_once('\t')
            .ok_or_else(|| bad("expected code<TAB>name".to_owned()))?;
        out.push(Division::new(code, name).map_err(|e| bad(e.to_string()))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn names<'a>(path: &[&'a Division]) -> Vec<&'a str> {
        path.iter().map(|d| d.name.as_str()).collect()
    }

    fn demo_region() -> Vec<Division> {
        [
            ("990000", "示范省"),
            ("990100", "示范市"),
            ("990102", "示范市东区"),
            ("990105", "示范市新区"),
        ]
        .into_iter()
        .map(|(code, name)| Division::new(code, name).unwrap())
        .collect()
    }

    #[test]
    fn national_list_has_plausible_size() {
        let all = Divisions::national();
        let count = |level| all.iter().filter(|d| d.level == level).count();
        // MCA 2024: 34 province-level units (incl. 台湾, 香港, 澳门), 333 prefecture-level,
        // 2846 county-level divisions.
        assert_eq!(all.provinces().len(), 34);
        assert_eq!(count(Level::Province), 34);
        assert_eq!(count(Level::City), 333);
        assert!((2800..2900).contains(&count(Level::County)));
        let provinces = names(&all.provinces());
        for expected in [
            "北京市",
            "广东省",
            "台湾省",
            "香港特别行政区",
            "澳门特别行政区",
        ] {
            assert!(provinces.contains(&expected), "{expected} missing");
        }
        assert_eq!(provinces[0], "北京市");
        assert!(
            all.iter().all(|d| !d.name.contains("市辖区")),
            "placeholder rows are not divisions"
        );
    }

    #[test]
    fn municipality_districts_hang_under_the_province() {
        let all = Divisions::national();
        assert_eq!(names(&all.path("110105")), ["北京市", "朝阳区"]);
        assert_eq!(all.full_name("110105").as_deref(), Some("北京市朝阳区"));
        let beijing = all.children("110000");
        assert_eq!(beijing.len(), 16);
        assert!(beijing.iter().all(|d| d.level == Level::County));
        assert!(beijing.windows(2).all(|w| w[0].code < w[1].code));
        // Chongqing's counties (5002xx) sit beside its districts (5001xx).
        let chongqing = all.children("500000");
        assert!(chongqing.iter().any(|d| d.name == "巫山县"));
        assert!(chongqing.iter().any(|d| d.name == "渝中区"));
        // A province-administered county-level city.
        assert_eq!(names(&all.path("429004")), ["湖北省", "仙桃市"]);
    }

    #[test]
    fn prefecture_path_has_three_levels() {
        let all = Divisions::national();
        let path = all.path("440305");
        assert_eq!(names(&path), ["广东省", "深圳市", "南山区"]);
        assert_eq!(
            path.iter().map(|d| d.level).collect::<Vec<_>>(),
            [Level::Province, Level::City, Level::County]
        );
        assert_eq!(all.get("440305").unwrap().parent.as_deref(), Some("440300"));
        assert!(all.is_county("440305"));
        assert!(!all.is_county("440300"));
        assert!(all.children("440300").iter().any(|d| d.code == "440305"));
        assert!(
            all.children("440000")
                .iter()
                .all(|d| d.level == Level::City)
        );
    }

    #[test]
    fn unknown_and_malformed_codes_give_nothing() {
        let all = Divisions::national();
        for code in [
            "", "000000", "110100", "990100", "11010", "1101050", "abcdef", "44 305",
        ] {
            assert!(all.get(code).is_none(), "{code:?}");
            assert!(all.path(code).is_empty(), "{code:?}");
            assert!(all.children(code).is_empty(), "{code:?}");
            assert!(!all.is_county(code), "{code:?}");
            assert!(!all.is_address_end(code), "{code:?}");
            assert_eq!(all.full_name(code), None);
        }
    }

    #[test]
    fn address_can_end_where_nothing_is_below() {
        let all = Divisions::national();
        let lookup: &dyn DivisionLookup = all;
        for code in ["440305", "110105", "441900", "442000", "810000", "710000"] {
            assert!(all.is_address_end(code), "{code}");
            assert!(lookup.ends_address(code), "{code}");
        }
        for code in ["440000", "440300", "110000", "123456"] {
            assert!(!all.is_address_end(code), "{code}");
            assert!(!lookup.ends_address(code), "{code}");
        }
        assert_eq!(names(&all.path("441900")), ["广东省", "东莞市"]);
    }

    #[test]
    fn demo_region_extends_the_national_list() {
        let all = Divisions::with_extra(demo_region()).unwrap();
        assert_eq!(all.len(), Divisions::national().len() + 4);
        assert_eq!(
            names(&all.path("990105")),
            ["示范省", "示范市", "示范市新区"]
        );
        assert_eq!(
            all.children("990100")
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>(),
            ["990102", "990105"]
        );
        assert!(all.is_county("990102"));
        assert_eq!(all.provinces().len(), 35);
        assert_eq!(all.provinces().last().unwrap().code, "990000");
        // The national list itself is untouched.
        assert!(Divisions::national().get("990100").is_none());
        assert_eq!(names(&all.path("440305")), ["广东省", "深圳市", "南山区"]);
    }

    #[test]
    fn bad_extensions_are_refused_with_the_reason() {
        let without_province = demo_region().into_iter().skip(1).collect();
        assert_eq!(
            Divisions::with_extra(without_province).unwrap_err(),
            DivisionsError::UnknownParent {
                code: "990100".into(),
                parent: "990000".into()
            }
        );
        let clash = vec![Division::new("440305", "另一个南山区").unwrap()];
        assert_eq!(
            Divisions::with_extra(clash).unwrap_err(),
            DivisionsError::Duplicate {
                code: "440305".into()
            }
        );
        let mut wrong_parent = demo_region();
        wrong_parent[3].parent = Some("440300".into());
        assert!(matches!(
            Divisions::with_extra(wrong_parent).unwrap_err(),
            DivisionsError::BadParent { .. }
        ));
        let mut wrong_level = demo_region();
        wrong_level[1].level = Level::County;
        assert!(matches!(
            Divisions::with_extra(wrong_level).unwrap_err(),
            DivisionsError::LevelMismatch { .. }
        ));
        assert!(matches!(
            Division::new("99010", "x"),
            Err(DivisionsError::InvalidCode { .. })
        ));
        assert!(matches!(
            Division::new("990107", " "),
            Err(DivisionsError::InvalidName { .. })
        ));
    }

    #[test]
    fn tsv_errors_name_the_line() {
        assert_eq!(
            parse_tsv("# c\n110000\t北京市\n110101 东城区\n").unwrap_err(),
            DivisionsError::BadLine {
                line: 3,
                reason: "expected code<TAB>name".into()
            }
        );
    }

    #[test]
    fn every_national_entry_reaches_a_province() {
        // The proptest below samples; this walks all ~3,200 entries once.
        let all = Divisions::national();
        for d in all.iter() {
            let path = all.path(&d.code);
            assert_eq!(path.last().unwrap().code, d.code);
            assert_eq!(path[0].level, Level::Province, "{}", d.code);
        }
    }

    fn any_entry() -> impl Strategy<Value = &'static Division> {
        let all = Divisions::national();
        (0..all.len()).prop_map(move |i| &all.entries[i])
    }

    proptest! {
        #[test]
        fn every_path_starts_at_a_province_and_ends_at_the_entry(d in any_entry()) {
            let all = Divisions::national();
            let path = all.path(&d.code);
            prop_assert_eq!(path.last().map(|e| &e.code), Some(&d.code));
            prop_assert_eq!(path[0].level, Level::Province);
            prop_assert!(path.len() <= 3);
            prop_assert!(path.windows(2).all(|w| w[0].level < w[1].level
                && d.code.starts_with(crate::forms::division_prefix(&w[0].code))));
            if let Some(parent) = &d.parent {
                prop_assert!(all.children(parent).iter().any(|c| c.code == d.code));
            }
        }
    }
}
