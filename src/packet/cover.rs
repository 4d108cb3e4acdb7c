//! The packet's cover: the dispute, the merchant's explanation and the index, as lines of real
//! text (a bank searches and copies it), laid out on as many A4 pages as it takes.

use krilla::Document;
use krilla::geom::Point;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};

use super::{A4, Inputs, MARGIN};

/// A line of the cover: its size and its text.
pub struct Line {
    pub size: f32,
    pub text: String,
    /// Space before it, in points.
    pub gap: f32,
}

fn line(size: f32, gap: f32, text: impl Into<String>) -> Line {
    Line {
        size,
        gap,
        text: text.into(),
    }
}

/// How many characters of DejaVu Sans at `size` fit in `width` points (its widest common
/// letters are about 0.62 em; digits and lower case are narrower).
fn fits(width: f32, size: f32) -> usize {
    (width / (size * 0.62)).floor().max(8.0) as usize
}

/// `text` cut into lines of at most `max` characters, at spaces where it can.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for paragraph in text.lines() {
        let mut current = String::new();
        for word in paragraph.split_whitespace() {
            let mut word = word.to_string();
            while word.chars().count() > max {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                let head: String = word.chars().take(max).collect();
                word = word.chars().skip(max).collect();
                out.push(head);
            }
            let len = current.chars().count();
            if len > 0 && len + 1 + word.chars().count() > max {
                out.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(&word);
        }
        out.push(current);
    }
    out
}

/// The cover's lines; `ranges` are the index's page ranges, one per source.
pub fn lines(inputs: &Inputs, ranges: &[String]) -> Vec<Line> {
    let width = A4.0 - 2.0 * MARGIN;
    let f = &inputs.facts;
    let mut out = vec![
        line(18.0, 0.0, "Evidence packet"),
        line(12.0, 10.0, format!("Dispute {}", f.id)),
    ];
    for (label, value) in [
        ("Charge", f.charge.clone()),
        ("Amount", f.amount.clone()),
        ("Reason", format!("{} ({})", f.reason, f.reason_code)),
        ("Opened", f.opened.clone()),
        ("Evidence due", f.due.clone()),
        ("Status", f.status.clone()),
    ] {
        out.push(line(10.0, 3.0, format!("{label}: {value}")));
    }
    out.push(line(12.0, 14.0, "The merchant's explanation"));
    let message = f.message.as_deref().unwrap_or("(none given)");
    for (i, l) in wrap(message, fits(width, 10.0)).into_iter().enumerate() {
        out.push(line(10.0, if i == 0 { 4.0 } else { 2.0 }, l));
    }
    out.push(line(12.0, 14.0, "Index"));
    if inputs.sources.is_empty() {
        out.push(line(10.0, 4.0, "No document."));
    }
    for (source, range) in inputs.sources.iter().zip(ranges) {
        let head = format!(
            "{}. {}: {}, {}",
            source.label, source.kind, source.filename, range
        );
        for (i, l) in wrap(&head, fits(width, 10.0)).into_iter().enumerate() {
            out.push(line(10.0, if i == 0 { 6.0 } else { 1.0 }, l));
        }
        out.push(line(
            8.0,
            1.0,
            format!("{} bytes, SHA-256 {}", source.size, source.sha256),
        ));
    }
    if !inputs.left_out.is_empty() {
        out.push(line(12.0, 14.0, "Left out"));
        for left in &inputs.left_out {
            for (i, l) in wrap(left, fits(width, 10.0)).into_iter().enumerate() {
                out.push(line(10.0, if i == 0 { 4.0 } else { 1.0 }, l));
            }
        }
    }
    out
}

/// The lines grouped by page.
pub fn paginate(lines: Vec<Line>) -> Vec<Vec<Line>> {
    let room = A4.1 - 2.0 * MARGIN;
    let mut pages = vec![Vec::new()];
    let mut used = 0.0;
    for l in lines {
        let height = l.gap + l.size * 1.25;
        if used + height > room && used > 0.0 {
            pages.push(Vec::new());
            used = 0.0;
        }
        used += height;
        if let Some(page) = pages.last_mut() {
            page.push(l);
        }
    }
    pages
}

/// Draws the cover's pages.
pub fn draw(document: &mut Document, pages: &[Vec<Line>], font: &Font) {
    for lines in pages {
        let Some(settings) = PageSettings::from_wh(A4.0, A4.1) else {
            continue;
        };
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        let mut y = MARGIN;
        for l in lines {
            y += l.gap + l.size;
            surface.draw_text(
                Point::from_xy(MARGIN, y),
                font.clone(),
                l.size,
                &l.text,
                false,
                TextDirection::Auto,
            );
            y += l.size * 0.25;
        }
        surface.finish();
        page.finish();
    }
}
