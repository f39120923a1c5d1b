//! The printable report: one A4 page in the built-in Helvetica, with the seal's QR code a
//! consulate scans. The signed report rides along in the PDF's document information
//! (`IdwalletReport`), so a verifier given the file can also check the full content
//! against the seal; the paper alone still verifies from the QR.

use printpdf::lopdf;
use printpdf::{BuiltinFont, ColorBits, ColorSpace, Image, ImageTransform, ImageXObject, Mm, PdfDocument, Px};

use super::{ReportError, SignedReport, VisaReport};

pub(super) const INFO_KEY: &[u8] = b"IdwalletReport";
/// Pixels per QR module in the embedded image (a scan of the print is decoded anyway).
const MODULE_PX: u32 = 4;
const QR_MM: f32 = 50.0;

/// Render `report` as a PDF.
pub fn export_pdf(report: &SignedReport) -> Result<Vec<u8>, ReportError> {
    render(&report.report, &report.seal, &super::to_cbor(&(&report.signed, &report.seal)))
}

/// Lay out the page. `seal` is drawn as the QR code; `embedded` goes in the document info.
pub(crate) fn render(r: &VisaReport, seal: &str, embedded: &[u8]) -> Result<Vec<u8>, ReportError> {
    let bad = |_| ReportError::BadPdf { what: "cannot write the PDF" };
    let (doc, page, layer) = PdfDocument::new("Credit report for visa application", Mm(210.0), Mm(297.0), "report");
    let regular = doc.add_builtin_font(BuiltinFont::Helvetica).map_err(bad)?;
    let bold = doc.add_builtin_font(BuiltinFont::HelveticaBold).map_err(bad)?;
    let layer = doc.get_page(page).get_layer(layer);
    let date = |t: i64| time(t)[..10].to_string();

    let mut y = 275.0;
    layer.use_text("Credit Report for Visa Application", 18.0, Mm(20.0), Mm(y), &bold);
    y -= 7.0;
    layer.use_text(format!("Report {}  -  issued by {}", r.id, r.issuer), 9.0, Mm(20.0), Mm(y), &regular);
    y -= 5.0;
    let validity = format!("Issued {}, valid until {}", date(r.issued_at), date(r.valid_until));
    layer.use_text(validity, 9.0, Mm(20.0), Mm(y), &regular);

    let s = &r.supplementary;
    let sections: Vec<(&str, Vec<(String, String)>)> = vec![
        (
            "Holder",
            vec![
                ("Name".into(), r.holder.name_latin.clone()),
                ("Sex".into(), r.holder.sex.code().into()),
                ("Date of birth".into(), r.holder.birth_date.clone()),
                ("Resident ID".into(), r.holder.id_number_masked.clone()),
                ("Identity check".into(), format!("liveness and face match, {} UTC", time(r.face_verified_at))),
            ],
        ),
        (
            "Purpose",
            vec![("Destination".into(), s.destination.clone()), ("Document".into(), "visa application".into())],
        ),
        (
            "Credit standing",
            std::iter::once((
                "Score".into(),
                format!(
                    "{} ({}), threshold {} - bank statements not required",
                    r.score.value, r.score.provider, r.threshold
                ),
            ))
            .chain(
                r.score
                    .factors
                    .iter()
                    .map(|f| (format!("  {}", f.id.replace('_', " ")), format!("{:+}", f.contribution))),
            )
            .collect(),
        ),
        (
            "Finances and education (declared by the holder)",
            vec![
                ("Income band (CNY/year)".into(), s.income_band.code().into()),
                ("Assets".into(), if s.assets.is_empty() { "none declared".into() } else { s.assets.join("; ") }),
                ("Employer".into(), s.employer.clone()),
                ("Occupation".into(), s.occupation.clone()),
                ("Education".into(), s.education.code().into()),
            ],
        ),
        ("Contact", vec![("Phone".into(), s.phone.clone()), ("Email".into(), s.email.clone())]),
    ];
    y -= 6.0;
    for (title, rows) in sections {
        y -= 9.0;
        layer.use_text(title, 12.0, Mm(20.0), Mm(y), &bold);
        for (label, value) in rows {
            y -= 5.5;
            layer.use_text(label, 10.0, Mm(24.0), Mm(y), &regular);
            layer.use_text(value, 10.0, Mm(75.0), Mm(y), &regular);
        }
    }

    // The QR code, bottom right, with how to check it.
    let code = qrcode::QrCode::with_error_correction_level(seal, qrcode::EcLevel::M)
        .map_err(|_| ReportError::Malformed { what: "seal too long for a QR code" })?;
    let img = code.render::<image::Luma<u8>>().module_dimensions(MODULE_PX, MODULE_PX).quiet_zone(true).build();
    let px = img.width();
    Image::from(ImageXObject {
        width: Px(px as usize),
        height: Px(img.height() as usize),
        color_space: ColorSpace::Greyscale,
        bits_per_component: ColorBits::Bit8,
        interpolate: false,
        image_data: img.into_raw(),
        image_filter: None,
        smask: None,
        clipping_bbox: None,
    })
    .add_to_layer(
        layer.clone(),
        ImageTransform {
            translate_x: Some(Mm(140.0)),
            translate_y: Some(Mm(20.0)),
            dpi: Some(px as f32 * 25.4 / QR_MM),
            ..Default::default()
        },
    );
    let notes = [
        "Verification",
        "Scan the QR code with idwallet verify-report. It carries",
        "the issuer's signature over this report's digest and the",
        "summary above (name, ID, destination, score, validity),",
        "and verifies offline against the issuer's published key.",
        "A report that does not verify, or whose details differ",
        "from this page, must not be accepted.",
    ];
    for (k, line) in notes.iter().enumerate() {
        let font = if k == 0 { &bold } else { &regular };
        layer.use_text(*line, if k == 0 { 11.0 } else { 9.0 }, Mm(20.0), Mm(62.0 - 5.0 * k as f32), font);
    }

    let bytes = doc.save_to_bytes().map_err(bad)?;
    let mut pdf = lopdf::Document::load_mem(&bytes).map_err(|_| ReportError::BadPdf { what: "cannot re-read" })?;
    let info = pdf
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference)
        .map_err(|_| ReportError::BadPdf { what: "no document information" })?;
    pdf.get_object_mut(info)
        .and_then(lopdf::Object::as_dict_mut)
        .map_err(|_| ReportError::BadPdf { what: "no document information" })?
        .set(INFO_KEY, lopdf::Object::String(embedded.to_vec(), lopdf::StringFormat::Hexadecimal));
    pdf.compress();
    let mut out = Vec::new();
    pdf.save_to(&mut out).map_err(|_| ReportError::BadPdf { what: "cannot write the PDF" })?;
    Ok(out)
}

/// `YYYY-MM-DD hh:mm` (UTC).
fn time(t: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&format).ok())
        .unwrap_or_else(|| "????-??-?? ??:??".into())
}
