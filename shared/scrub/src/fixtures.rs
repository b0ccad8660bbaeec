//! Real images with known identifying metadata, made by `tests/fixtures/make-fixtures`
//! (ImageMagick, cwebp and ExifTool), for tests in this and other crates.

/// A 64×48 baseline JPEG: EXIF (make, model, serials, owner, times, GPS, orientation
/// 6, an IFD1 thumbnail), XMP, IPTC, an ICC profile, a comment and trailing data.
pub const PHOTO_JPEG: &[u8] = include_bytes!("../tests/fixtures/photo.jpg");
/// A 48×32 PNG: eXIf (as the JPEG), tEXt/iTXt (author, comment, times, XMP), tIME,
/// iCCP and trailing data.
pub const PHOTO_PNG: &[u8] = include_bytes!("../tests/fixtures/photo.png");
/// A 48×32 extended lossy WebP: EXIF (as the JPEG), XMP and ICCP chunks.
pub const PHOTO_WEBP: &[u8] = include_bytes!("../tests/fixtures/photo.webp");

/// Every identifying value the fixtures carry, as text that must not survive scrubbing.
pub const IDENTIFYING_STRINGS: &[&str] = &[
    "PosternCam",
    "Whistle 3000",
    "SN-0042-XYZ",
    "LENS-77",
    "Jane Source",
    "janes-laptop",
    "EditPro",
    "Berlin",
    "xmp.did:0042",
];

/// The JPEG fixture as an owned buffer.
pub fn jpeg_with_everything() -> Vec<u8> {
    PHOTO_JPEG.to_vec()
}

/// Identifying values in [`pdf_with_everything`] and [`docx_with_everything`].
pub const DOCUMENT_IDENTIFYING_STRINGS: &[&str] = &[
    "Jane Source",
    "EditPro",
    "ACME Secret Unit",
    "Alice Editor",
    "Bob Commenter",
    "secret deleted text",
    "jdoe",
    "alice@acme.example",
    "3141592653",
];

/// A one-page PDF with an Info dictionary (author, creator, producer, dates), XMP,
/// a document ID, a commented annotation by its author, the JPEG fixture as an
/// image, and an incremental update that keeps an earlier Info dictionary.
pub fn pdf_with_everything() -> Vec<u8> {
    let xmp = "<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\
        <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" \
        xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" \
        xmlns:xmpMM=\"http://ns.adobe.com/xap/1.0/mm/\" xmp:CreatorTool=\"EditPro 9.1\" \
        xmpMM:DocumentID=\"uuid:0042\"><dc:creator><rdf:Seq><rdf:li>Jane Source</rdf:li></rdf:Seq></dc:creator>\
        </rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>";
    let content = b"q 40 0 0 30 10 10 cm /Im1 Do Q 0 0 1 rg 60 60 50 50 re f";
    let image = PHOTO_JPEG;
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Annots [6 0 R] \
          /Resources << /XObject << /Im1 8 0 R >> >> >>"
            .to_vec(),
        stream_object("", content),
        stream_object("/Type /Metadata /Subtype /XML", xmp.as_bytes()),
        b"<< /Type /Annot /Subtype /Text /Rect [10 150 30 170] /T (Jane Source) /Contents (check the date) \
          /M (D:20261031235901+01'00') >>"
            .to_vec(),
        b"<< /Author (Jane Source) /Creator (EditPro 9.1) /Producer (EditPro PDF 9.1) \
          /CreationDate (D:20261031235901+01'00') /ModDate (D:20261101000000+01'00') /Title (Memo) >>"
            .to_vec(),
        stream_object(
            "/Type /XObject /Subtype /Image /Width 64 /Height 48 /ColorSpace /DeviceRGB \
             /BitsPerComponent 8 /Filter /DCTDecode",
            image,
        ),
    ];
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter_mut().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes());
    for off in &offsets {
        pdf.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 7 0 R /ID [<00420042004200420042004200420042> \
             <00420042004200420042004200420042>] >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    // An incremental update: a new Info; the old one stays in the file.
    let update = pdf.len();
    pdf.extend_from_slice(b"7 0 obj\n<< /Author (Someone Else) /Producer (EditPro PDF 9.1) >>\nendobj\n");
    let xref2 = pdf.len();
    pdf.extend_from_slice(format!("xref\n7 1\n{update:010} 00000 n \n").as_bytes());
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 7 0 R /Prev {xref} /ID [<00420042004200420042004200420042> \
             <00420042004200420042004200420043>] >>\nstartxref\n{xref2}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

fn stream_object(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut o = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    o.extend_from_slice(data);
    o.extend_from_slice(b"\nendstream");
    o
}

/// A Word document with core, app and custom properties, a thumbnail, rsids, a
/// tracked insertion and deletion by "Alice Editor", a comment by "Bob Commenter",
/// an attached template under a user's folder, and the JPEG fixture as media.
pub fn docx_with_everything() -> Vec<u8> {
    const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const PR: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    let members: Vec<(String, Vec<u8>)> = vec![
        ("[Content_Types].xml".into(), r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/comments.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/><Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>"#.to_string().into_bytes()),
        ("_rels/.rels".into(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PR}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail" Target="docProps/thumbnail.jpeg"/></Relationships>"#).into_bytes()),
        ("word/document.xml".into(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body><w:p w:rsidR="00A1B2C3" w:rsidRDefault="00A1B2C3"><w:commentRangeStart w:id="0"/><w:r w:rsidR="00D4E5F6"><w:t>The visible text.</w:t></w:r><w:ins w:id="1" w:author="Alice Editor" w:date="2026-10-31T23:59:00Z"><w:r><w:t> Inserted text.</w:t></w:r></w:ins><w:del w:id="2" w:author="Alice Editor" w:date="2026-10-31T23:59:30Z"><w:r><w:delText>secret deleted text</w:delText></w:r></w:del><w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r></w:p><w:sectPr w:rsidR="00A1B2C3"/></w:body></w:document>"#).into_bytes()),
        ("word/_rels/document.xml.rels".into(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PR}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="comments.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.jpeg"/></Relationships>"#).into_bytes()),
        ("word/_rels/settings.xml.rels".into(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PR}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="file:///C:/Users/jdoe/Templates/Normal.dotm" TargetMode="External"/></Relationships>"#).into_bytes()),
        ("word/settings.xml".into(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:settings xmlns:w="{W}" xmlns:r="{R}"><w:attachedTemplate r:id="rId1"/><w:rsids><w:rsidRoot w:val="00A1B2C3"/><w:rsid w:val="00D4E5F6"/></w:rsids></w:settings>"#).into_bytes()),
        ("word/comments.xml".into(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:comments xmlns:w="{W}"><w:comment w:id="0" w:author="Bob Commenter" w:date="2026-11-01T10:00:00Z" w:initials="BC"><w:p><w:r><w:t>Is this date right?</w:t></w:r></w:p></w:comment></w:comments>"#).into_bytes()),
        ("word/media/image1.jpeg".into(), PHOTO_JPEG.to_vec()),
    ];
    zip_of(members.into_iter().chain(office_properties()).collect())
}

/// Core, app and custom properties and a thumbnail, shared by the Office fixtures.
fn office_properties() -> Vec<(String, Vec<u8>)> {
    vec![
        ("docProps/core.xml".into(), br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>Jane Source</dc:creator><cp:lastModifiedBy>Jane Source</cp:lastModifiedBy><cp:revision>7</cp:revision><dcterms:created xsi:type="dcterms:W3CDTF">2026-10-31T23:00:00Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2026-11-01T00:00:00Z</dcterms:modified></cp:coreProperties>"#.to_vec()),
        ("docProps/app.xml".into(), br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Template>Normal.dotm</Template><TotalTime>42</TotalTime><Application>EditPro Word 9.1</Application><Company>ACME Secret Unit</Company><Manager>Jane Source</Manager></Properties>"#.to_vec()),
        ("docProps/custom.xml".into(), br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="DMS-Owner"><vt:lpwstr>Jane Source</vt:lpwstr></property></Properties>"#.to_vec()),
        ("docProps/thumbnail.jpeg".into(), PHOTO_JPEG.to_vec()),
    ]
}

fn zip_of(members: Vec<(String, Vec<u8>)>) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        // Fixture construction cannot fail on an in-memory buffer.
        if zip.start_file(name, options).is_ok() {
            let _ = zip.write_all(&data);
        }
    }
    zip.finish().map(std::io::Cursor::into_inner).unwrap_or_default()
}

/// The package-level parts every Office fixture has: content types and root relationships.
fn package_parts(main_part: &str, main_type: &str, extra_types: &str) -> Vec<(String, Vec<u8>)> {
    const PR: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    vec![
        ("[Content_Types].xml".into(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/><Override PartName="/{main_part}" ContentType="{main_type}"/>{extra_types}<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/><Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>"#).into_bytes()),
        ("_rels/.rels".into(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PR}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="{main_part}"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail" Target="docProps/thumbnail.jpeg"/></Relationships>"#).into_bytes()),
    ]
}

/// An Excel workbook with the same properties and thumbnail as the Word fixture, a
/// sharing user name, and a cell comment by "Bob Commenter".
pub fn xlsx_with_everything() -> Vec<u8> {
    const PR: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    let comments_type = r#"<Override PartName="/xl/comments1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#;
    let mut members = package_parts(
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        comments_type,
    );
    members.extend([
        ("xl/workbook.xml".to_owned(), br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><fileSharing readOnlyRecommended="1" userName="Jane Source"/><sheets><sheet name="Ledger" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_vec()),
        ("xl/_rels/workbook.xml.rels".to_owned(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PR}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#).into_bytes()),
        ("xl/worksheets/sheet1.xml".to_owned(), br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>The visible figure</t></is></c></row></sheetData></worksheet>"#.to_vec()),
        ("xl/worksheets/_rels/sheet1.xml.rels".to_owned(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PR}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="../comments1.xml"/></Relationships>"#).into_bytes()),
        ("xl/comments1.xml".to_owned(), br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors><author>Bob Commenter</author></authors><commentList><comment ref="A1" authorId="0"><text><t>Check this figure</t></text></comment></commentList></comments>"#.to_vec()),
    ]);
    members.extend(office_properties());
    zip_of(members)
}

/// A PowerPoint presentation with the same properties and thumbnail as the Word
/// fixture, a creation id, and co-authoring history naming "Alice Editor".
pub fn pptx_with_everything() -> Vec<u8> {
    const PR: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    let history_type = r#"<Override PartName="/ppt/changesInfos/changesInfo1.xml" ContentType="application/vnd.ms-powerpoint.changesinfo+xml"/>"#;
    let mut members = package_parts(
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        history_type,
    );
    members.extend([
        ("ppt/presentation.xml".to_owned(), br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:p14="http://schemas.microsoft.com/office/powerpoint/2010/main"><p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/><p:extLst><p:ext uri="{E76CE94A-603C-4142-B9EB-6D1370010A27}"><p14:creationId val="3141592653"/></p:ext></p:extLst></p:presentation>"#.to_vec()),
        ("ppt/_rels/presentation.xml.rels".to_owned(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PR}"><Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2016/11/relationships/changesInfo" Target="changesInfos/changesInfo1.xml"/></Relationships>"#).into_bytes()),
        ("ppt/changesInfos/changesInfo1.xml".to_owned(), br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<pc:chgInfo xmlns:pc="http://schemas.microsoft.com/office/powerpoint/2013/main/command"><pc:docChgLst><pc:chgData name="Alice Editor" userId="alice@acme.example" providerId="AD"/></pc:docChgLst></pc:chgInfo>"#.to_vec()),
    ]);
    members.extend(office_properties());
    zip_of(members)
}
