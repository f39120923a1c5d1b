//! Reading a report PDF back (the consulate desk): the QR codes in its images, the signed
//! report it embeds, and a fingerprint of what its page draws. lopdf parses untrusted
//! files here, so this is behind the `consulate` feature and not in the app library.

use printpdf::lopdf;

use super::pdf::INFO_KEY;
use super::ReportError;

/// What a PDF carries: the QR texts found in its images, and the embedded signed report
/// with its seal, if present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfContents {
    pub qr_texts: Vec<String>,
    pub embedded: Option<(Vec<u8>, String)>,
}

/// Read the QR code(s) and the embedded report back from a PDF.
pub fn read_pdf(bytes: &[u8]) -> Result<PdfContents, ReportError> {
    let bad = |what| ReportError::BadPdf { what };
    let doc = lopdf::Document::load_mem(bytes).map_err(|_| bad("not a PDF"))?;
    let mut qr_texts = Vec::new();
    // Every 8-bit grey image XObject in the file (a report has one: the QR code).
    for object in doc.objects.values() {
        let lopdf::Object::Stream(stream) = object else { continue };
        let d = &stream.dict;
        let name = |k: &[u8]| d.get(k).and_then(lopdf::Object::as_name).ok();
        let int = |k: &[u8]| d.get(k).and_then(lopdf::Object::as_i64).ok().and_then(|v| u32::try_from(v).ok());
        if name(b"Subtype") != Some(b"Image".as_slice())
            || name(b"ColorSpace") != Some(b"DeviceGray".as_slice())
            || int(b"BitsPerComponent") != Some(8)
        {
            continue;
        }
        let (Some(w), Some(h)) = (int(b"Width"), int(b"Height")) else { continue };
        if w == 0 || h == 0 || w > 4096 || h > 4096 {
            continue;
        }
        let data = match d.get(b"Filter").ok() {
            None => stream.content.clone(),
            Some(f) if f.as_name().ok() == Some(b"FlateDecode".as_slice()) => {
                inflate(&stream.content, (w * h) as usize)?
            }
            Some(_) => continue,
        };
        if let Some(img) = image::GrayImage::from_raw(w, h, data) {
            qr_texts.extend(crate::credential::qr::decode_luma(&img).unwrap_or_default());
        }
    }
    let embedded = doc
        .trailer
        .get(b"Info")
        .and_then(|info| doc.dereference(info))
        .and_then(|(_, info)| info.as_dict())
        .and_then(|info| info.get(INFO_KEY))
        .and_then(|v| v.as_str())
        .ok()
        .map(ciborium::from_reader::<(serde_bytes::ByteBuf, String), _>)
        .transpose()
        .map_err(|_| bad("the embedded report is malformed"))?
        .map(|(signed, seal)| (signed.into_vec(), seal));
    // Our key in the file but no readable report under it: the embedding was damaged (a
    // lenient parser drops the broken object). Say so rather than fall back to the seal.
    let marker = [b"/".as_slice(), INFO_KEY].concat();
    if embedded.is_none() && bytes.windows(marker.len()).any(|w| w == marker) {
        return Err(bad("the embedded report is damaged"));
    }
    Ok(PdfContents { qr_texts, embedded })
}

/// Everything a PDF viewer draws, in a canonical form: per page, the page's own entries
/// (media box, annotations…), its resources (fonts with their encodings, images with their
/// decoded pixels) and its decoded content streams, references resolved. Two PDFs with
/// the same fingerprint show the same page, whatever their object numbers, compression or
/// document information.
pub(crate) fn page_fingerprint(bytes: &[u8]) -> Result<Vec<u8>, ReportError> {
    let bad = |what| ReportError::BadPdf { what };
    let doc = lopdf::Document::load_mem(bytes).map_err(|_| bad("not a PDF"))?;
    let mut out = Vec::new();
    for (number, page_id) in doc.get_pages() {
        out.extend(format!("page {number}\n").into_bytes());
        let page = doc.get_dictionary(page_id).map_err(|_| bad("a page is not a dictionary"))?;
        for (key, value) in page.iter().filter(|(k, _)| !matches!(k.as_slice(), b"Parent" | b"Contents")) {
            out.extend_from_slice(key);
            out.push(b'=');
            canonical(&doc, value, 0, &mut out)?;
            out.push(b'\n');
        }
        let (own, inherited) = doc.get_page_resources(page_id);
        for dict in own.into_iter().chain(inherited.iter().filter_map(|id| doc.get_dictionary(*id).ok())) {
            out.extend_from_slice(b"resources=");
            canonical(&doc, &lopdf::Object::Dictionary(dict.clone()), 0, &mut out)?;
            out.push(b'\n');
        }
        out.extend(doc.get_page_content(page_id).map_err(|_| bad("a page's content cannot be read"))?);
    }
    Ok(out)
}

fn canonical(doc: &lopdf::Document, object: &lopdf::Object, depth: u32, out: &mut Vec<u8>) -> Result<(), ReportError> {
    use lopdf::Object;
    if depth > 16 {
        return Err(ReportError::BadPdf { what: "objects nest too deep" });
    }
    match object {
        Object::Reference(id) => match doc.get_object(*id) {
            Ok(target) => canonical(doc, target, depth + 1, out)?,
            Err(_) => out.extend_from_slice(b"null"),
        },
        Object::Dictionary(dict) => {
            let mut entries: Vec<_> = dict.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'<');
            for (key, value) in entries {
                out.extend_from_slice(key);
                out.push(b'=');
                canonical(doc, value, depth + 1, out)?;
                out.push(b';');
            }
            out.push(b'>');
        }
        Object::Array(items) => {
            out.push(b'[');
            for item in items {
                canonical(doc, item, depth + 1, out)?;
                out.push(b',');
            }
            out.push(b']');
        }
        Object::Stream(stream) => {
            let mut dict = stream.dict.clone();
            for key in [b"Length".as_slice(), b"Filter", b"DecodeParms"] {
                dict.remove(key);
            }
            canonical(doc, &Object::Dictionary(dict), depth + 1, out)?;
            let content = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
            out.extend(format!("stream {}:", content.len()).into_bytes());
            out.extend(content);
        }
        other => out.extend(format!("{other:?}").into_bytes()),
    }
    Ok(())
}

fn inflate(data: &[u8], expected: usize) -> Result<Vec<u8>, ReportError> {
    use std::io::Read;
    let mut out = Vec::with_capacity(expected);
    flate2::read::ZlibDecoder::new(data)
        .take(expected as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| ReportError::BadPdf { what: "image data" })?;
    Ok(out)
}
