//! Just enough of protobuf's wire format to check, when the workflow is
//! emitted, that `update.file` is a config update envelope and for which
//! channel (the workflow checks it again with configtxlator). Read by hand
//! because fabchart runs where no Fabric tool need be installed: configtxlator
//! runs only in the workflow's pods. The tests read envelopes recorded with
//! the stock tools (tests/fixtures/flow/README.md).
//!
//! Envelope{1: payload} -> Payload{1: header, 2: data} ->
//! Header{1: channel_header} -> ChannelHeader{1: type, 4: channel_id};
//! data is ConfigUpdateEnvelope{1: config_update, 2: signatures} ->
//! ConfigUpdate{1: channel_id} (fabric-protos `common`).

use anyhow::{bail, Context};

/// `HeaderType` CONFIG_UPDATE.
const CONFIG_UPDATE: u64 = 2;

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

fn varint(data: &[u8], pos: &mut usize) -> anyhow::Result<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *data.get(*pos).context("truncated varint")?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(value);
        }
    }
    bail!("varint too long")
}

/// The top-level fields of one message, in order.
fn fields(data: &[u8]) -> anyhow::Result<Vec<(u64, Field<'_>)>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let tag = varint(data, &mut pos)?;
        let field = match tag & 7 {
            0 => Field::Varint(varint(data, &mut pos)?),
            1 | 5 => {
                pos += if tag & 7 == 1 { 8 } else { 4 };
                Field::Fixed
            }
            2 => {
                let len = usize::try_from(varint(data, &mut pos)?)?;
                let end = pos.checked_add(len).context("length overflows")?;
                let bytes = data.get(pos..end).context("truncated field")?;
                pos = end;
                Field::Bytes(bytes)
            }
            other => bail!("wire type {other} is not protobuf 3"),
        };
        out.push((tag >> 3, field));
    }
    if pos != data.len() {
        bail!("truncated message");
    }
    Ok(out)
}

fn bytes_field(data: &[u8], number: u64) -> anyhow::Result<&[u8]> {
    Ok(fields(data)?
        .into_iter()
        .filter_map(|(n, f)| match f {
            Field::Bytes(b) if n == number => Some(b),
            _ => None,
        })
        .next_back()
        .unwrap_or_default())
}

fn varint_field(data: &[u8], number: u64) -> anyhow::Result<u64> {
    Ok(fields(data)?
        .into_iter()
        .filter_map(|(n, f)| match f {
            Field::Varint(v) if n == number => Some(v),
            _ => None,
        })
        .next_back()
        .unwrap_or_default())
}

fn string_field(data: &[u8], number: u64) -> anyhow::Result<String> {
    Ok(std::str::from_utf8(bytes_field(data, number)?)
        .context("a string field is not UTF-8")?
        .to_string())
}

/// The channel a config update envelope is for; an error when `data` is no
/// such envelope or its header and its ConfigUpdate name different channels.
pub fn config_update_channel(data: &[u8]) -> anyhow::Result<String> {
    let payload = bytes_field(data, 1)?;
    let header = bytes_field(payload, 1)?;
    let channel_header = bytes_field(header, 1)?;
    let kind = varint_field(channel_header, 1)?;
    if kind != CONFIG_UPDATE {
        bail!("its header type is {kind}, not CONFIG_UPDATE ({CONFIG_UPDATE}): it is no config update envelope");
    }
    let channel = string_field(channel_header, 4)?;
    let config_update = bytes_field(bytes_field(payload, 2)?, 1)?;
    let update_channel = string_field(config_update, 1)?;
    if channel.is_empty() || channel != update_channel {
        bail!("its header names channel `{channel}` but its ConfigUpdate `{update_channel}`");
    }
    Ok(channel)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An envelope recorded with the stock Fabric tools.
    fn recorded(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/flow")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn reads_the_channel_of_a_config_update() {
        for name in ["config-update-trade.pb", "config-update-trade-meadow.pb"] {
            assert_eq!(config_update_channel(&recorded(name)).unwrap(), "trade");
        }
    }

    #[test]
    fn refuses_other_envelopes() {
        let e = config_update_channel(&recorded("config-envelope-trade.pb")).unwrap_err();
        assert!(e.to_string().contains("header type is 1"), "{e}");
        let e = config_update_channel(&recorded("config-update-mismatched.pb")).unwrap_err();
        assert!(
            e.to_string()
                .contains("header names channel `trade` but its ConfigUpdate `harbor-quarry`"),
            "{e}"
        );
        assert!(config_update_channel(b"not protobuf at all").is_err());
        assert!(config_update_channel(b"").is_err());
    }
}
