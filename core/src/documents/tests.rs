use super::synthetic::citizen;
use super::*;

#[test]
fn id_number_check_digits_follow_iso_7064() {
    // GB 11643-1999's worked example.
    assert_eq!(id_number_check_digit("11010519491231002"), Some('X'));
    assert_eq!(id_number_check_digit("44052418800101001"), Some('4'));
    assert_eq!(id_number_check_digit("4405241880010100"), None);
    assert_eq!(id_number_check_digit("4405241880010100A"), None);
}

#[test]
fn vin_check_digits_follow_iso_3779() {
    assert_eq!(vin_check_digit("1M8GDM9AXKP042788"), Some('X'));
    assert_eq!(vin_check_digit("11111111111111111"), Some('1'));
    assert_eq!(vin_check_digit("1M8GDM9AXKP04278I"), None);
}

#[test]
fn synthetic_citizens_are_valid_and_distinct() {
    let mut ids = std::collections::HashSet::new();
    for n in 0..50 {
        let c = citizen(n);
        assert_eq!(c.documents.len(), 5);
        for d in &c.documents {
            d.validate().unwrap_or_else(|e| panic!("citizen {n} {:?}: {e}", d.kind()));
        }
        assert!(c.portrait.len() <= MAX_PORTRAIT_BYTES);
        validate::portrait(&c.portrait).unwrap();
        ids.insert(c.id_number().to_owned());
    }
    assert_eq!(ids.len(), 50);
    assert_eq!(citizen(7).id_number(), citizen(7).id_number());
}

#[test]
fn elements_round_trip_through_from_elements() {
    for d in citizen(3).documents {
        let elements = d.elements();
        assert!(elements.iter().all(|(id, _)| Claims::element_ids(d.kind()).contains(&id.as_str())));
        assert_eq!(Claims::from_elements(d.kind(), &elements).unwrap(), d);
    }
}

fn id_card() -> ResidentIdCard {
    match citizen(1).documents.remove(0) {
        Claims::ResidentIdCard(c) => c,
        _ => unreachable!(),
    }
}

#[test]
fn bad_values_are_refused_with_the_field_named() {
    let field = |c: ResidentIdCard| match Claims::ResidentIdCard(c).validate() {
        Err(DocumentError::Invalid { field, .. }) => field,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let mut c = id_card();
    let last = c.id_number.pop().unwrap();
    c.id_number.push(if last == '0' { '1' } else { '0' });
    assert_eq!(field(c), "id_number");

    let mut c = id_card();
    c.sex = if c.sex == Sex::Male { Sex::Female } else { Sex::Male };
    assert_eq!(field(c), "id_number");

    let mut c = id_card();
    c.name = " ".into();
    assert_eq!(field(c), "name");

    let mut c = id_card();
    c.valid_until = Some(Date::ymd(1990, 1, 1).unwrap());
    assert_eq!(field(c), "valid_until");

    let mut c = id_card();
    c.address = "x".repeat(200);
    assert_eq!(field(c), "address");
}

#[test]
fn refusals_never_contain_the_value() {
    let mut c = id_card();
    c.id_number = "11010519491231002Y".into();
    let err = Claims::ResidentIdCard(c).validate().unwrap_err().to_string();
    assert!(!err.contains("1101051949"), "{err}");
}

#[test]
fn other_kinds_check_their_own_rules() {
    let docs = citizen(2).documents;
    let mut licence = docs[1].clone();
    if let Claims::DrivingLicence(l) = &mut licence {
        l.points = 13;
    }
    assert!(matches!(licence.validate(), Err(DocumentError::Invalid { field: "points", .. })));
    let mut vehicle = docs[2].clone();
    if let Claims::VehicleRegistration(v) = &mut vehicle {
        let mut vin = v.vin.clone().into_bytes();
        vin[8] = if vin[8] == b'5' { b'6' } else { b'5' };
        v.vin = String::from_utf8(vin).unwrap();
    }
    assert!(matches!(vehicle.validate(), Err(DocumentError::Invalid { field: "vin", .. })));
    let mut plate = docs[2].clone();
    if let Claims::VehicleRegistration(v) = &mut plate {
        v.plate = "XX12345".into();
    }
    assert!(matches!(plate.validate(), Err(DocumentError::Invalid { field: "plate", .. })));
}

#[test]
fn dates_must_exist() {
    assert!(Date::parse("d", "2023-02-29").is_err());
    assert!(Date::parse("d", "2024-02-29").is_ok());
    assert!(Date::parse("d", "24-2-29").is_err());
}

#[test]
fn portraits_from_photos_fit_the_budget() {
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8])
    }));
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let portrait = portrait::from_photo(&png, None).unwrap();
    assert!(portrait.len() <= MAX_PORTRAIT_BYTES);
    let decoded = image::load_from_memory(&portrait::to_jpeg(&portrait).unwrap()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (portrait::WIDTH, portrait::HEIGHT));
    assert!(portrait::from_photo(b"not an image", None).is_err());
}

#[test]
fn compact_portraits_expand_to_the_jpeg_they_came_from() {
    let img =
        image::DynamicImage::ImageLuma8(image::GrayImage::from_fn(48, 64, |x, y| image::Luma([(x * 5 + y * 3) as u8])));
    let mut jpeg = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 40);
    img.to_luma8().write_with_encoder(enc).unwrap();
    let compact = portrait::compact(&jpeg, 40).unwrap();
    assert!(compact.len() + 250 < jpeg.len(), "{} vs {}", compact.len(), jpeg.len());
    let expanded = portrait::to_jpeg(&compact).unwrap();
    let (a, b) =
        (image::load_from_memory(&jpeg).unwrap().to_luma8(), image::load_from_memory(&expanded).unwrap().to_luma8());
    assert_eq!(a, b);
    assert!(portrait::to_jpeg(b"garbage").is_err());
    assert!(portrait::compact(&jpeg, 41).is_err());
}
