//! `Ts`, a UTC time as each backend keeps it: `timestamptz` in Postgres, integer microseconds
//! since the Unix epoch in SQLite (so that SQLite sorts and compares times exactly).

use chrono::{DateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Ts(pub DateTime<Utc>);

/// In JSON a time is RFC 3339 text, or (from SQLite's JSON functions, which write its rows'
/// values as they are) integer microseconds since the epoch.
impl<'de> serde::Deserialize<'de> for Ts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Ts, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Either {
            Micros(i64),
            Text(DateTime<Utc>),
        }
        match Either::deserialize(deserializer)? {
            Either::Text(t) => Ok(Ts(t)),
            Either::Micros(micros) => DateTime::from_timestamp_micros(micros)
                .map(Ts)
                .ok_or_else(|| serde::de::Error::custom(format!("time out of range: {micros}"))),
        }
    }
}

impl From<DateTime<Utc>> for Ts {
    fn from(t: DateTime<Utc>) -> Ts {
        Ts(t)
    }
}

impl Type<Postgres> for Ts {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Ts(<DateTime<Utc> as Decode<Postgres>>::decode(value)?))
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
}

impl<'q> Encode<'q, Sqlite> for Ts {
    fn encode_by_ref(
        &self,
        buf: &mut Vec<sqlx::sqlite::SqliteArgumentValue<'q>>,
    ) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(self.0.timestamp_micros(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let micros = <i64 as Decode<Sqlite>>::decode(value)?;
        DateTime::from_timestamp_micros(micros)
            .map(Ts)
            .ok_or_else(|| format!("time out of range: {micros}").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_reads_from_rfc_3339_or_microseconds() {
        let t = DateTime::from_timestamp_micros(1_733_011_200_123_456).unwrap();
        let text: Ts = serde_json::from_str("\"2024-12-01T00:00:00.123456Z\"").unwrap();
        let offset: Ts = serde_json::from_str("\"2024-12-01T07:00:00.123456+07:00\"").unwrap();
        let micros: Ts = serde_json::from_str("1733011200123456").unwrap();
        assert_eq!((text.0, offset.0, micros.0), (t, t, t));
        assert!(serde_json::from_str::<Ts>("true").is_err());
    }
}
