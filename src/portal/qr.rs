//! QR codes drawn on the server as inline SVG (no script, no external image), so a phone can
//! scan what would otherwise be a long link to type.

use maud::{html, Markup, PreEscaped};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// `data` as an accessible SVG QR code named `label`; nothing when it does not fit a code.
pub fn svg(data: &str, label: &str) -> Markup {
    let Ok(code) = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M) else {
        return html! {};
    };
    let drawing = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Drop the XML prolog (not allowed inline in HTML) and name the picture for screen readers.
    let start = drawing.find("<svg").unwrap_or(0);
    let body = &drawing[start..];
    let open_end = body.find('>').unwrap_or(0);
    let title = html! { title { (label) } }.into_string();
    let svg = format!(
        "{} role=\"img\" aria-label=\"{}\">{}{}",
        &body[..open_end],
        maud::html! { (label) }.into_string().replace('"', "&quot;"),
        title,
        &body[open_end + 1..]
    );
    html! { figure.qr { (PreEscaped(svg)) } }
}

#[cfg(test)]
mod tests {
    #[test]
    fn draws_an_accessible_inline_svg() {
        let m = super::svg(
            "otpauth://totp/Partner%20Hub:a@b.example?secret=ABC",
            "QR <code>",
        )
        .into_string();
        assert!(m.starts_with("<figure class=\"qr\"><svg"), "{m}");
        assert!(m.contains("role=\"img\""));
        assert!(m.contains("<title>QR &lt;code&gt;</title>"), "{m}");
        assert!(!m.contains("<?xml") && !m.contains("style="));
        assert!(m.contains("<path"), "has modules drawn");
    }
}
