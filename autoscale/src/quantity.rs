//! Kubernetes resource quantities: parsed to plain numbers, and printed back the way people write them.
//!
//! A quantity is a decimal number (optionally with a decimal exponent `e3`/`E-2`) followed by an optional suffix:
//! binary `Ki Mi Gi Ti Pi Ei` or decimal `n u m k M G T P E`. CPU is handled in cores and printed in whole
//! millicores (`250m`, `2`); memory in bytes, printed in whole mebibytes or gibibytes (`512Mi`, `2Gi`). Printing
//! rounds *up*, so a request is never below the computed value.

use thiserror::Error;

/// Why a quantity string was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QuantityError {
    /// Not `<number>[suffix]`.
    #[error("{0:?} is not a quantity: write a number and an optional suffix, e.g. 250m, 2, 512Mi or 1.5Gi")]
    Syntax(String),
    /// Negative quantities make no sense as requests.
    #[error("{0:?} is negative")]
    Negative(String),
}

/// Parses a quantity to its value in base units (cores for CPU, bytes for memory).
pub fn parse_quantity(text: &str) -> Result<f64, QuantityError> {
    let syntax = || QuantityError::Syntax(text.to_owned());
    let trimmed = text.trim();
    let number_len = trimmed
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '+' || c == '-'))))
        .map_or(trimmed.len(), |(i, _)| i);
    let (number, rest) = trimmed.split_at(number_len);
    if !number.bytes().any(|b| b.is_ascii_digit()) || number.matches('.').count() > 1 {
        return Err(syntax());
    }
    let mantissa: f64 = number.parse().map_err(|_| syntax())?;
    let multiplier = match rest {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0_f64.powi(2),
        "Gi" => 1024.0_f64.powi(3),
        "Ti" => 1024.0_f64.powi(4),
        "Pi" => 1024.0_f64.powi(5),
        "Ei" => 1024.0_f64.powi(6),
        exponent if exponent.starts_with(['e', 'E']) => {
            let digits = &exponent[1..];
            let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return Err(syntax());
            }
            let power: i32 = digits.parse().map_err(|_| syntax())?;
            10.0_f64.powi(power)
        }
        _ => return Err(syntax()),
    };
    let value = mantissa * multiplier;
    if !value.is_finite() {
        return Err(syntax());
    }
    if value < 0.0 {
        return Err(QuantityError::Negative(text.to_owned()));
    }
    Ok(value)
}

/// Prints CPU cores as a quantity, rounded up to a whole millicore: `0.2501` → `251m`, `2.0` → `2`.
pub fn format_cpu(cores: f64) -> String {
    let millis = (cores.max(0.0) * 1000.0 - 1e-6).ceil().max(0.0);
    if millis >= 1e15 {
        return format!("{:.0}", (cores).ceil());
    }
    let millis = millis as u64;
    if millis.is_multiple_of(1000) { format!("{}", millis / 1000) } else { format!("{millis}m") }
}

/// Prints bytes as a quantity, rounded up to a whole mebibyte: `Gi` when that is exact, else `Mi`.
pub fn format_memory(bytes: f64) -> String {
    const MI: f64 = 1024.0 * 1024.0;
    let mebibytes = (bytes.max(0.0) / MI - 1e-9).ceil().max(0.0);
    if mebibytes >= 1e15 {
        return format!("{:.0}", bytes.ceil());
    }
    let mebibytes = mebibytes as u64;
    if mebibytes > 0 && mebibytes.is_multiple_of(1024) {
        format!("{}Gi", mebibytes / 1024)
    } else {
        format!("{mebibytes}Mi")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn parses_cpu_and_memory_suffixes() {
        for (text, value) in [
            ("250m", 0.25),
            ("2", 2.0),
            ("1.5", 1.5),
            ("100n", 1e-7),
            ("5u", 5e-6),
            ("128Mi", 134_217_728.0),
            ("1Gi", 1_073_741_824.0),
            ("1.5Gi", 1_610_612_736.0),
            ("64Ki", 65_536.0),
            ("1k", 1000.0),
            ("2M", 2e6),
            ("1G", 1e9),
            ("1E", 1e18),
            ("1e3", 1000.0),
            ("5E-1", 0.5),
            ("+3", 3.0),
            (".5", 0.5),
            (" 200m ", 0.2),
        ] {
            let parsed = parse_quantity(text).unwrap();
            assert!(close(parsed, value), "{text}: {parsed} != {value}");
        }
    }

    #[test]
    fn refuses_malformed_and_negative_quantities() {
        for text in ["", "m", "Mi", "1.2.3", "12x", "1mi", "1e", "1e+", "1e3.5", "1 Gi", "--1", "1KiB"] {
            assert!(matches!(parse_quantity(text), Err(QuantityError::Syntax(_))), "{text} accepted");
        }
        assert!(matches!(parse_quantity("-1"), Err(QuantityError::Negative(_))));
    }

    #[test]
    fn prints_cpu_rounded_up_to_a_millicore() {
        assert_eq!(format_cpu(0.25), "250m");
        assert_eq!(format_cpu(0.2501), "251m");
        assert_eq!(format_cpu(2.0), "2");
        assert_eq!(format_cpu(1.5), "1500m");
        assert_eq!(format_cpu(0.0), "0");
        assert_eq!(format_cpu(-1.0), "0");
    }

    #[test]
    fn prints_memory_rounded_up_to_a_mebibyte() {
        assert_eq!(format_memory(134_217_728.0), "128Mi");
        assert_eq!(format_memory(134_217_729.0), "129Mi");
        assert_eq!(format_memory(2.0 * 1_073_741_824.0), "2Gi");
        assert_eq!(format_memory(1.5 * 1_073_741_824.0), "1536Mi");
        assert_eq!(format_memory(1.0), "1Mi");
    }

    #[test]
    fn round_trips() {
        for text in ["250m", "2", "128Mi", "3Gi"] {
            let value = parse_quantity(text).unwrap();
            let printed = if text.ends_with('i') { format_memory(value) } else { format_cpu(value) };
            assert_eq!(printed, text);
        }
    }
}
