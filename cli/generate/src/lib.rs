//! # directrix-generate
//!
//! Synthetic workflows: a national directive cascading to every province, district and
//! commune, for `directrix generate cascade`, the benchmarks and scale tests. Text out,
//! no IO; it needs nothing of the core, which it would otherwise ship to browsers.
//!
//! The generated directive is fictitious ("99/CT-TTg" of 1 June 2021): the Government
//! orders a plan from the Ministry of Health, then plans from every province, district
//! and commune, weekly commune reports and roll-up reports back up the chain. Provinces,
//! districts and communes are modelled by their people's committees, one agency each,
//! in a forest `government → pNNN → pNNN_dNNN → pNNN_dNNN_cNNN`. Names of districts and
//! communes are drawn from Vietnamese place-name syllables with a seeded generator, so
//! the same [`CascadeParams`] always give byte-identical text.
#![deny(missing_docs)]

use std::fmt::Write;

/// Sizes of a generated national cascade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CascadeParams {
    /// Provinces.
    pub provinces: u32,
    /// Districts, spread over the provinces.
    pub districts: u32,
    /// Communes, spread over the districts.
    pub communes: u32,
    /// Seed for names and behaviour variety.
    pub seed: u64,
}

/// A generated workflow and a matching behaviour scenario, as RON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedCascade {
    /// The workflow.
    pub workflow: String,
    /// The scenario.
    pub scenario: String,
}

/// Generates a national cascade workflow and its scenario.
///
/// Each count is raised to at least 1 (an empty group is invalid). Districts are spread
/// over provinces and communes over districts as evenly as possible, the first ones
/// taking the remainder. Ids are `government`, the ministries (`moh`, `mps`, `mod`,
/// `mic`, `moha`), provinces `p001`, districts `p001_d001` and communes
/// `p001_d001_c001` (numbered within their parent; wider when a level holds more than
/// 999). Groups: `ministries`, `provinces`, `districts`, `communes`.
///
/// The same parameters always give the same text; the seed varies district and commune
/// names and the scenario's behaviour parameters.
///
/// ```
/// use directrix_core::{Scenario, load};
/// use directrix_generate::{CascadeParams, generate_cascade};
///
/// let generated = generate_cascade(CascadeParams { provinces: 2, districts: 5, communes: 12, seed: 7 });
/// let workflow = load(&generated.workflow)?.workflow;
/// let communes = workflow.groups().iter().find(|g| g.id == "communes").unwrap();
/// assert_eq!(communes.members.len(), 12);
/// let (scenario, _warnings) = Scenario::load(&generated.scenario, &workflow)?;
/// assert!(scenario.until > scenario.start);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn generate_cascade(params: CascadeParams) -> GeneratedCascade {
    let layout = Layout::new(params);
    let mut names = SplitMix64::new(params.seed);
    let mut behaviour = SplitMix64::new(params.seed ^ 0x5DEE_CE66_D1CE_5EED);
    GeneratedCascade {
        workflow: workflow_text(&layout, params.seed, &mut names),
        scenario: scenario_text(&layout, params.seed, &mut behaviour),
    }
}

/// Appends formatted text to a `String` (writing to a `String` cannot fail).
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

/// SplitMix64: a tiny, well-mixed deterministic generator.
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The 63 provinces and centrally-run cities of 2021, and whether each is a city.
const PROVINCES: [(&str, bool); 63] = [
    ("An Giang", false),
    ("Bà Rịa - Vũng Tàu", false),
    ("Bạc Liêu", false),
    ("Bắc Giang", false),
    ("Bắc Kạn", false),
    ("Bắc Ninh", false),
    ("Bến Tre", false),
    ("Bình Dương", false),
    ("Bình Định", false),
    ("Bình Phước", false),
    ("Bình Thuận", false),
    ("Cà Mau", false),
    ("Cao Bằng", false),
    ("Cần Thơ", true),
    ("Đà Nẵng", true),
    ("Đắk Lắk", false),
    ("Đắk Nông", false),
    ("Điện Biên", false),
    ("Đồng Nai", false),
    ("Đồng Tháp", false),
    ("Gia Lai", false),
    ("Hà Giang", false),
    ("Hà Nam", false),
    ("Hà Nội", true),
    ("Hà Tĩnh", false),
    ("Hải Dương", false),
    ("Hải Phòng", true),
    ("Hậu Giang", false),
    ("Hòa Bình", false),
    ("Hồ Chí Minh", true),
    ("Hưng Yên", false),
    ("Khánh Hòa", false),
    ("Kiên Giang", false),
    ("Kon Tum", false),
    ("Lai Châu", false),
    ("Lạng Sơn", false),
    ("Lào Cai", false),
    ("Lâm Đồng", false),
    ("Long An", false),
    ("Nam Định", false),
    ("Nghệ An", false),
    ("Ninh Bình", false),
    ("Ninh Thuận", false),
    ("Phú Thọ", false),
    ("Phú Yên", false),
    ("Quảng Bình", false),
    ("Quảng Nam", false),
    ("Quảng Ngãi", false),
    ("Quảng Ninh", false),
    ("Quảng Trị", false),
    ("Sóc Trăng", false),
    ("Sơn La", false),
    ("Tây Ninh", false),
    ("Thái Bình", false),
    ("Thái Nguyên", false),
    ("Thanh Hóa", false),
    ("Thừa Thiên Huế", false),
    ("Tiền Giang", false),
    ("Trà Vinh", false),
    ("Tuyên Quang", false),
    ("Vĩnh Long", false),
    ("Vĩnh Phúc", false),
    ("Yên Bái", false),
];

/// Syllables common in Vietnamese place names; generated names join two of them.
const SYLLABLES: [&str; 42] = [
    "An",
    "Bình",
    "Cẩm",
    "Đông",
    "Đức",
    "Gia",
    "Hải",
    "Hòa",
    "Hưng",
    "Hương",
    "Khánh",
    "Kim",
    "Lạc",
    "Lâm",
    "Long",
    "Minh",
    "Mỹ",
    "Nam",
    "Nghĩa",
    "Ninh",
    "Phong",
    "Phú",
    "Phúc",
    "Phước",
    "Quang",
    "Quảng",
    "Sơn",
    "Tân",
    "Thạch",
    "Thái",
    "Thanh",
    "Thành",
    "Thuận",
    "Thượng",
    "Tiên",
    "Trung",
    "Trường",
    "Vân",
    "Vĩnh",
    "Xuân",
    "Yên",
    "Hồng",
];

/// The national agencies under the Government: id, name, gloss, kind.
const MINISTRIES: [(&str, &str, &str, &str); 5] = [
    (
        "moh",
        "Bộ Y tế",
        "Ministry of Health (leads the directive)",
        "State",
    ),
    ("mps", "Bộ Công an", "Ministry of Public Security", "Force"),
    (
        "mod",
        "Bộ Quốc phòng",
        "Ministry of National Defence",
        "Force",
    ),
    (
        "mic",
        "Bộ Thông tin và Truyền thông",
        "Ministry of Information and Communications",
        "State",
    ),
    ("moha", "Bộ Nội vụ", "Ministry of Home Affairs", "State"),
];

/// Vietnamese public holidays of 2021.
const HOLIDAYS_2021: &str = r#"        holidays: [
            "2021-01-01", // New Year
            // Tết Tân Sửu (lunar new year), 10-16 Feb 2021
            "2021-02-10", "2021-02-11", "2021-02-12", "2021-02-13",
            "2021-02-14", "2021-02-15", "2021-02-16",
            "2021-04-21", // Hùng Kings' commemoration (10/3 lunar)
            "2021-04-30", // Reunification Day
            "2021-05-01", // Labour Day (a Saturday) ...
            "2021-05-03", // ... compensated on Monday 3 May
            "2021-09-02", // National Day
            "2021-09-03", // National Day, extra day
        ],
"#;

/// How many agencies sit under each parent, level by level.
struct Layout {
    /// Districts of each province.
    districts_of: Vec<u32>,
    /// Communes of each district, districts in global order (province by province).
    communes_of: Vec<u32>,
    /// Id widths: province, district within a province, commune within a district.
    widths: (usize, usize, usize),
    communes: u32,
}

impl Layout {
    fn new(params: CascadeParams) -> Self {
        let provinces = params.provinces.max(1);
        let districts = params.districts.max(1);
        let communes = params.communes.max(1);
        let districts_of = spread(districts, provinces);
        let communes_of = spread(communes, districts);
        let width = |n: u32| (n.max(1).ilog10() as usize + 1).max(3);
        let widths = (
            width(provinces),
            width(districts_of.iter().copied().max().unwrap_or(0)),
            width(communes_of.iter().copied().max().unwrap_or(0)),
        );
        Self {
            districts_of,
            communes_of,
            widths,
            communes,
        }
    }

    fn provinces(&self) -> usize {
        self.districts_of.len()
    }

    fn districts(&self) -> usize {
        self.communes_of.len()
    }

    fn province_id(&self, out: &mut String, p: usize) {
        w!(out, "p{:0w$}", p + 1, w = self.widths.0);
    }

    fn district_id(&self, out: &mut String, p: usize, d: usize) {
        self.province_id(out, p);
        w!(out, "_d{:0w$}", d + 1, w = self.widths.1);
    }

    fn commune_id(&self, out: &mut String, p: usize, d: usize, c: usize) {
        self.district_id(out, p, d);
        w!(out, "_c{:0w$}", c + 1, w = self.widths.2);
    }

    /// Every district as (province, index within the province), in global order.
    fn each_district(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.districts_of
            .iter()
            .enumerate()
            .flat_map(|(p, &n)| (0..n as usize).map(move |d| (p, d)))
    }

    /// Every commune as (province, district within it, commune within that), in order.
    fn each_commune(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        self.each_district()
            .zip(&self.communes_of)
            .flat_map(|((p, d), &n)| (0..n as usize).map(move |c| (p, d, c)))
    }
}

/// `total` items over `bins` bins as evenly as possible, the first bins taking the rest.
fn spread(total: u32, bins: u32) -> Vec<u32> {
    (0..bins)
        .map(|i| total / bins + u32::from(i < total % bins))
        .collect()
}

/// A two-syllable place name.
fn place_name(out: &mut String, rng: &mut SplitMix64) {
    let first = rng.below(SYLLABLES.len());
    let second = (first + 1 + rng.below(SYLLABLES.len() - 1)) % SYLLABLES.len();
    w!(out, "{} {}", SYLLABLES[first], SYLLABLES[second]);
}

fn workflow_text(layout: &Layout, seed: u64, rng: &mut SplitMix64) -> String {
    let provinces = layout.provinces();
    let districts = layout.districts();
    let communes = layout.communes as usize;
    // About 80 bytes an agency line plus 20 a group member, plus a fixed part.
    let mut out = String::with_capacity(8_000 + (provinces + districts + communes) * 110);

    w!(
        out,
        "// Synthetic national cascade generated by `directrix generate cascade`
// (provinces: {provinces}, districts: {districts}, communes: {communes}, seed: {seed}).
//
// A fictitious Prime Minister's directive, 99/CT-TTg of Tuesday 1 June 2021, cascading
// from the Government through every province and district down to every commune:
// - national_plan (Ministry of Health) -> province_plan (each province) -> district_plan
//   (each district) -> commune_action (each commune); commune_report is a weekly report
//   of every commune; district_report, province_report and national_summary roll the
//   results back up. A `for_each` task depending on another waits for all of its
//   instances.
// - Provinces, districts and communes are modelled by their people's committees, one
//   agency each; district and commune names are generated, not real.
// - Deadlines all count from the issue (1 June 2021, 08:00) on the 2021 working-day
//   calendar, each level getting about a week after the one above. Escalation reminds
//   the lead at the deadline, raises the matter to the lead's parent a day later and to
//   the supervisor (the Ministry of Health) after three days.
//
// Generated text: do not edit by hand, regenerate it.
(
    format: 1,

    directive: (
        number: \"99/CT-TTg\",
        kind: \"Chỉ thị\",
        kind_gloss: \"Directive of the Prime Minister (synthetic)\",
        urgency: Urgent,
        issuer: \"government\",
        signer: (
            prefix: \"K/T\",
            on_behalf_of: \"Thủ tướng\",
            title: \"Phó Thủ tướng\",
            name: \"Nguyễn Văn An\",
        ),
        place: \"Hà Nội\",
        issued_at: \"2021-06-01T08:00:00+07:00\",
        subject: \"Về tăng cường thực hiện các biện pháp phòng, chống dịch COVID-19 trên phạm vi toàn quốc\",
        subject_gloss: \"On stepping up Covid-19 prevention and control measures nationwide (synthetic)\",
        addressees: [\"ministries\", \"provinces\"],
        copies: [
            (to: \"addressees\", purpose: \"Như trên\", purpose_gloss: \"as above\"),
            (to: \"government\", purpose: \"Lưu: VT\", purpose_gloss: \"archive\"),
        ],
    ),

    calendar: (
        utc_offset: \"+07:00\",
        weekend: [Sat, Sun],
{HOLIDAYS_2021}        day_end: \"17:00\",
    ),

    agencies: [
        (id: \"government\", name: \"Chính phủ\", gloss: \"The Government (issuer; the Prime Minister signs its directives)\", kind: State),
"
    );
    for (id, name, gloss, kind) in MINISTRIES {
        w!(
            out,
            "        (id: \"{id}\", name: \"{name}\", gloss: \"{gloss}\", kind: {kind}, parent: \"government\"),\n"
        );
    }

    out.push_str("        // --- provinces and centrally-run cities (people's committees)\n");
    for p in 0..provinces {
        let (name, city) = PROVINCES[p % PROVINCES.len()];
        let round = p / PROVINCES.len();
        let (unit, gloss_unit) = if city {
            ("thành phố", "city")
        } else {
            ("tỉnh", "province")
        };
        out.push_str("        (id: \"");
        layout.province_id(&mut out, p);
        w!(out, "\", name: \"Ủy ban nhân dân {unit} {name}");
        if round > 0 {
            w!(out, " {}", round + 1);
        }
        w!(out, "\", gloss: \"People's Committee of {name}");
        if round > 0 {
            w!(out, " {}", round + 1);
        }
        w!(out, " {gloss_unit}\", parent: \"government\"),\n");
    }

    // District kinds and names are needed again for their communes' names.
    let mut urban = Vec::with_capacity(districts);
    out.push_str("        // --- districts (people's committees); names are generated\n");
    for (p, d) in layout.each_district() {
        // The first district of a province is its capital city.
        let is_city = d == 0;
        urban.push(is_city);
        out.push_str("        (id: \"");
        layout.district_id(&mut out, p, d);
        w!(
            out,
            "\", name: \"Ủy ban nhân dân {} ",
            if is_city { "thành phố" } else { "huyện" }
        );
        place_name(&mut out, rng);
        out.push_str("\", parent: \"");
        layout.province_id(&mut out, p);
        out.push_str("\"),\n");
    }

    out.push_str(
        "        // --- communes, wards and towns (people's committees); names are generated\n",
    );
    let mut district = 0;
    let mut previous = None;
    for (p, d, c) in layout.each_commune() {
        if previous.is_some_and(|prev| prev != (p, d)) {
            district += 1;
        }
        previous = Some((p, d));
        let unit = match (urban[district], c) {
            (true, _) => "phường",
            (false, 0) => "thị trấn",
            (false, _) => "xã",
        };
        out.push_str("        (id: \"");
        layout.commune_id(&mut out, p, d, c);
        w!(out, "\", name: \"Ủy ban nhân dân {unit} ");
        place_name(&mut out, rng);
        out.push_str("\", parent: \"");
        layout.district_id(&mut out, p, d);
        out.push_str("\"),\n");
    }
    out.push_str("    ],\n\n    groups: [\n");

    out.push_str(
        "        (
            id: \"ministries\",
            name: \"Các Bộ, cơ quan ngang Bộ\",
            gloss: \"Ministries and ministry-level agencies\",
            members: [",
    );
    for (i, (id, ..)) in MINISTRIES.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        w!(out, "\"{id}\"");
    }
    out.push_str("],\n        ),\n");

    group_open(
        &mut out,
        "provinces",
        "Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương",
        "People's Committees of the provinces and centrally-run cities",
    );
    let mut members = MemberList::default();
    for p in 0..provinces {
        members.next(&mut out);
        layout.province_id(&mut out, p);
        out.push('"');
    }
    group_close(&mut out);

    group_open(
        &mut out,
        "districts",
        "Ủy ban nhân dân các quận, huyện, thị xã, thành phố thuộc tỉnh",
        "People's Committees of all districts",
    );
    let mut members = MemberList::default();
    for (p, d) in layout.each_district() {
        members.next(&mut out);
        layout.district_id(&mut out, p, d);
        out.push('"');
    }
    group_close(&mut out);

    group_open(
        &mut out,
        "communes",
        "Ủy ban nhân dân các xã, phường, thị trấn",
        "People's Committees of all communes, wards and towns",
    );
    let mut members = MemberList::default();
    for (p, d, c) in layout.each_commune() {
        members.next(&mut out);
        layout.commune_id(&mut out, p, d, c);
        out.push('"');
    }
    group_close(&mut out);
    out.push_str("    ],\n\n");

    out.push_str(TAIL);
    out
}

/// Writes group members eight to a line.
#[derive(Default)]
struct MemberList(usize);

impl MemberList {
    /// Starts the next member, up to its opening quote.
    fn next(&mut self, out: &mut String) {
        if self.0 > 0 {
            out.push(',');
        }
        if self.0.is_multiple_of(8) {
            out.push_str("\n                \"");
        } else {
            out.push_str(" \"");
        }
        self.0 += 1;
    }
}

fn group_open(out: &mut String, id: &str, name: &str, gloss: &str) {
    w!(
        out,
        "        (\n            id: \"{id}\",\n            name: \"{name}\",\n            gloss: \"{gloss}\",\n            members: ["
    );
}

fn group_close(out: &mut String) {
    out.push_str("\n            ],\n        ),\n");
}

/// Policies and tasks: the same for every size.
const TAIL: &str = r#"    // No `machines`: the built-in `default` and `recurring` lifecycles suffice.

    policies: [
        (
            // For the local levels (provinces, districts, communes).
            id: "cascade",
            levels: [
                // Remind the lead as soon as the deadline passes.
                (after: "0h", action: Remind, target: Lead),
                // Chase an assignment still unacknowledged after half a working day.
                (after: "4h", from: Entered("assigned"), action: Remind, target: Lead),
                // A day late: raise it to the lead's parent (district, province, Government).
                (after: "1d", action: Escalate, target: Parent),
                // Three days late: to the supervisor (the Ministry of Health), every two days.
                (after: "3d", action: Escalate, target: Supervisor, repeat: "2d"),
            ],
        ),
        (
            // For the ministries' own tasks.
            id: "national",
            levels: [
                (after: "0h", action: Remind, target: Lead),
                (after: "2h", from: Entered("assigned"), action: Remind, target: Lead),
                // A day late: the Government, daily while it lasts.
                (after: "1d", action: Escalate, target: Parent, repeat: "1d"),
            ],
        ),
        (
            // For the weekly commune report.
            id: "weekly",
            levels: [
                (after: "0h", action: Remind, target: Lead),
                // Still missing a day later: a formal warning from the district.
                (after: "1d", action: Warn, target: Parent),
            ],
        ),
    ],

    tasks: [
        (
            id: "national_plan",
            title: "Xây dựng, ban hành Kế hoạch triển khai thực hiện Chỉ thị trên phạm vi toàn quốc",
            gloss: "Draw up and issue the national implementation plan",
            lead: ["moh"],
            support: ["mps", "mod", "mic", "moha"],
            due: WorkingDays(3), // Fri 4 June, 17:00
            policy: "national",
        ),
        (
            id: "province_plan",
            title: "Ban hành kế hoạch triển khai thực hiện Chỉ thị trên địa bàn tỉnh, thành phố",
            gloss: "Each province issues its implementation plan",
            for_each: "provinces",
            depends_on: ["national_plan"],
            due: WorkingDays(8), // Fri 11 June
            policy: "cascade",
            supervisor: "moh",
        ),
        (
            id: "district_plan",
            title: "Ban hành kế hoạch triển khai thực hiện trên địa bàn cấp huyện",
            gloss: "Each district issues its implementation plan",
            for_each: "districts",
            depends_on: ["province_plan"],
            due: WorkingDays(13), // Fri 18 June
            policy: "cascade",
            supervisor: "moh",
        ),
        (
            id: "commune_action",
            title: "Tổ chức thực hiện các biện pháp phòng, chống dịch tại cơ sở",
            gloss: "Each commune carries out the measures on the ground",
            for_each: "communes",
            depends_on: ["district_plan"],
            due: Days(28), // Tue 29 June
            policy: "cascade",
            supervisor: "moh",
        ),
        (
            id: "commune_report",
            title: "Báo cáo tình hình thực hiện hằng tuần vào chiều thứ Sáu",
            gloss: "Each commune reports weekly, Friday afternoons, for four weeks",
            for_each: "communes",
            start: At("2021-06-04 08:00"),
            // Fridays 4, 11, 18 and 25 June at 16:00.
            due: Every(every: "7d", at: "16:00", until: "2021-06-25 16:00"),
            policy: "weekly",
            supervisor: "moh",
        ),
        (
            id: "district_report",
            title: "Tổng hợp, báo cáo kết quả thực hiện trên địa bàn cấp huyện",
            gloss: "Each district reports the results of its communes",
            for_each: "districts",
            depends_on: ["district_plan", "commune_action"],
            due: WorkingDays(22), // Thu 1 July
            policy: "cascade",
            supervisor: "moh",
        ),
        (
            id: "province_report",
            title: "Báo cáo kết quả thực hiện Chỉ thị trên địa bàn tỉnh, thành phố gửi Bộ Y tế",
            gloss: "Each province reports its results to the Ministry of Health",
            for_each: "provinces",
            depends_on: ["district_report"],
            due: WorkingDays(24), // Mon 5 July
            policy: "cascade",
            supervisor: "moh",
        ),
        (
            id: "national_summary",
            title: "Tổng hợp, báo cáo Thủ tướng Chính phủ kết quả thực hiện Chỉ thị",
            gloss: "The Ministry of Health reports the national results to the Prime Minister",
            lead: ["moh"],
            support: ["ministries"],
            depends_on: ["province_report"],
            due: At("2021-07-09 17:00"),
            policy: "national",
        ),
    ],
)
"#;

/// A duration of whole hours, written in days when exact.
fn hours(out: &mut String, h: u32) {
    if h.is_multiple_of(24) {
        w!(out, "\"{}d\"", h / 24);
    } else {
        w!(out, "\"{h}h\"");
    }
}

/// One behaviour entry; durations in hours.
struct Behaviour<'a> {
    who: &'a str,
    comment: &'a str,
    acknowledge: (u32, u32, u32),
    work: Option<(u32, f64)>,
    review: Option<(u32, u32, u32)>,
    miss: f64,
    late_by: (u32, u32, u32),
    reaction: (f64, bool),
}

impl Behaviour<'_> {
    fn write(&self, out: &mut String) {
        w!(
            out,
            "        (\n            // {}\n            who: [\"{}\"],\n",
            self.comment,
            self.who
        );
        triangular(out, "acknowledge", self.acknowledge);
        if let Some((median, sigma)) = self.work {
            out.push_str("            work: LogNormal(median: ");
            hours(out, median);
            w!(out, ", sigma: {sigma:.2}),\n");
        }
        if let Some(review) = self.review {
            triangular(out, "review", review);
        }
        w!(out, "            miss: {:.2},\n", self.miss);
        triangular(out, "late_by", self.late_by);
        w!(
            out,
            "            hours: Office,\n            on_escalation: (speed_up: {:.1}, ignore_first: {}),\n        ),\n",
            self.reaction.0,
            self.reaction.1
        );
    }
}

fn triangular(out: &mut String, field: &str, (min, mode, max): (u32, u32, u32)) {
    w!(out, "            {field}: Triangular(min: ");
    hours(out, min);
    out.push_str(", mode: ");
    hours(out, mode);
    out.push_str(", max: ");
    hours(out, max);
    out.push_str("),\n");
}

fn scenario_text(layout: &Layout, seed: u64, rng: &mut SplitMix64) -> String {
    let mut out = String::with_capacity(4_000);
    w!(
        out,
        "// Scenario for the synthetic national cascade 99/CT-TTg generated by
// `directrix generate cascade` (provinces: {}, districts: {}, communes: {}, seed: {seed}).
//
// Nobody is scripted: every agency follows its behaviour below, drawn from the
// simulation seed. Local levels are slower the lower they sit, miss some deadlines and
// speed up when reminded or escalated (communes ignore the first reminder); the
// Government and the ministries review reports quickly. Six and a half weeks from the
// issue, one week past the last deadline.
(
    format: 1,
    name: \"national cascade, behaviours only\",
    description: \"Directive 99/CT-TTg cascading to every province, district and commune; agencies act by their behaviours\",
    start: \"2021-06-01T08:00:00+07:00\",
    until: \"2021-07-16 17:00\",
    events: [],
    behaviours: [
",
        layout.provinces(),
        layout.districts(),
        layout.communes
    );
    // Seeded variety: a base median (hours) and a miss rate per level.
    let mut median = |base: u32, spread: usize| base + rng.below(spread) as u32;
    let (gov_review, ministry_work, province_work, district_work, commune_work) = (
        median(2, 3),
        median(16, 17),
        median(40, 25),
        median(36, 25),
        median(36, 25),
    );
    let mut miss = |base: f64| base + rng.unit() * 0.05;
    let (ministry_miss, province_miss, district_miss, commune_miss) =
        (miss(0.02), miss(0.05), miss(0.08), miss(0.1));
    let mut sigma = |base: f64| base + rng.unit() * 0.2;
    let (ministry_sigma, local_sigma) = (sigma(0.4), sigma(0.5));

    let behaviours = [
        Behaviour {
            who: "government",
            comment: "The Government: reviews the ministries' reports within hours.",
            acknowledge: (1, 2, 8),
            work: Some((24, 0.4)),
            review: Some((1, gov_review, 24)),
            miss: 0.0,
            late_by: (4, 24, 48),
            reaction: (1.0, false),
        },
        Behaviour {
            who: "ministries",
            comment: "Ministries: prompt, rarely late; the Ministry of Health reviews every local report.",
            acknowledge: (1, 2, 24),
            work: Some((ministry_work, ministry_sigma)),
            review: Some((1, 4, 48)),
            miss: ministry_miss,
            late_by: (4, 24, 72),
            reaction: (2.0, false),
        },
        Behaviour {
            who: "provinces",
            comment: "Provinces.",
            acknowledge: (1, 3, 24),
            work: Some((province_work, local_sigma)),
            review: Some((2, 8, 48)),
            miss: province_miss,
            late_by: (4, 24, 72),
            reaction: (1.5, false),
        },
        Behaviour {
            who: "districts",
            comment: "Districts.",
            acknowledge: (1, 4, 48),
            work: Some((district_work, local_sigma)),
            review: Some((2, 8, 48)),
            miss: district_miss,
            late_by: (4, 24, 96),
            reaction: (2.0, false),
        },
        Behaviour {
            who: "communes",
            comment: "Communes: the slowest; the first reminder goes unheeded.",
            acknowledge: (1, 4, 48),
            work: Some((commune_work, local_sigma + 0.1)),
            review: None,
            miss: commune_miss,
            late_by: (2, 24, 96),
            reaction: (2.0, true),
        },
    ];
    for behaviour in &behaviours {
        behaviour.write(&mut out);
    }
    out.push_str("    ],\n)\n");
    out
}
