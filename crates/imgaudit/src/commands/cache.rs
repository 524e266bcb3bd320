//! `imgaudit cache info|prune`.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use imgaudit_cache::{DiskCache, Prune, format_size};

use crate::args::{CacheArgs, CacheInfoArgs, CachePruneArgs, Format};
use crate::output::to_json;
use crate::settings::CacheSettings;

fn open(args: &CacheArgs) -> anyhow::Result<DiskCache> {
    let settings = CacheSettings::new(args);
    let Some(dir) = settings.dir()? else {
        anyhow::bail!("--no-cache: there is no cache to look at");
    };
    Ok(DiskCache::open(dir, settings.max_size)?)
}

pub(crate) fn info(cache: &CacheArgs, args: &CacheInfoArgs) -> anyhow::Result<String> {
    let info = open(cache)?.info()?;
    if args.format == Format::Json {
        return to_json(&info);
    }
    let mut out = String::new();
    let _ = writeln!(out, "directory     {}", info.directory.display());
    let _ = writeln!(
        out,
        "entries       {} ({} by this imgaudit's reader{})",
        info.entries,
        info.current_entries,
        match info.unreadable {
            0 => String::new(),
            n => format!(", {n} unreadable"),
        }
    );
    let _ = writeln!(
        out,
        "              {} layers, {} trees of layer chains, {} images' facts",
        info.layers, info.trees, info.documents
    );
    let _ = writeln!(
        out,
        "size          {} of {} ({:.0}%)",
        format_size(info.size),
        format_size(info.max_size),
        percent(info.size, info.max_size)
    );
    if let (Some(oldest), Some(newest)) = (info.oldest_use, info.newest_use) {
        let _ = writeln!(
            out,
            "last used     {} ago (least recently used: {} ago)",
            ago(newest),
            ago(oldest)
        );
    }
    Ok(out)
}

pub(crate) fn prune(cache: &CacheArgs, args: &CachePruneArgs) -> anyhow::Result<String> {
    let disk = open(cache)?;
    let pruned = disk.prune(&Prune {
        all: args.all,
        max_size: args.max_size,
        unused_for: args.unused_for,
    })?;
    if args.format == Format::Json {
        return to_json(&pruned);
    }
    Ok(format!(
        "removed {} entries ({}); {} left ({}) in {}\n",
        pruned.removed,
        format_size(pruned.freed),
        pruned.kept,
        format_size(pruned.size),
        disk.root().display()
    ))
}

#[allow(clippy::cast_precision_loss)]
fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    part as f64 * 100.0 / whole as f64
}

/// A rough age: `40s`, `12m`, `5h`, `3d`.
fn ago(seconds_since_epoch: u64) -> String {
    let then = SystemTime::UNIX_EPOCH + Duration::from_secs(seconds_since_epoch);
    let age = SystemTime::now()
        .duration_since(then)
        .unwrap_or_default()
        .as_secs();
    match age {
        0..60 => format!("{age}s"),
        60..3600 => format!("{}m", age / 60),
        3600..86400 => format!("{}h", age / 3600),
        _ => format!("{}d", age / 86400),
    }
}
