//! The on-disk cache of compiled loops (`cache=True`): one file per loop, keyed by everything
//! that can change its machine code, loaded later without running LLVM's optimizer or code
//! generator.
//!
//! The key (SHA-256) covers the cache format, ufuncgen's and LLVM's versions, the target CPU
//! and its features, the vector-math tier, the kind of loop (vectorize, or gufunc with layout,
//! writable arguments and bounds checks), the options, the signature, and the kernel's name,
//! source, file and position and every frozen global it reads, recursively (module constants,
//! arrays, and the source and globals of every helper function it calls). A change in any of
//! them is a miss.
//!
//! Files are written to a temporary name and renamed into place, so concurrent writers (several
//! processes filling one cache) never expose a partial file; the last rename wins with
//! identical content. A file that is truncated, corrupted (checksum), from another format
//! version or filed under the wrong key is a miss with a warning, and is rewritten. The
//! directory is capped in size: after a store, the least recently used files (by modification
//! time, refreshed on every hit) are removed until it fits.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::spec::KernelSpec;
use crate::types::Scalar;

/// Bumped whenever the file layout or what a cached loop means changes.
const FORMAT: u32 = 2;
const MAGIC: &[u8; 8] = b"UFGCACHE";
/// File name suffix of cache entries.
const SUFFIX: &str = "ufgc";

/// A cache directory with its size cap.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    max_bytes: u64,
}

/// The SHA-256 key of one loop, as 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key(String);

impl Key {
    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 63 bits of the key, for symbol names that stay apart from the JIT's counter-based ones.
    pub fn symbol_tag(&self) -> u64 {
        u64::from_str_radix(&self.0[..16], 16).unwrap_or(0) | (1 << 63)
    }
}

/// What kind of loop a key is for; part of the key.
#[derive(Debug, Clone, Copy)]
pub enum LoopKind<'a> {
    Vectorize,
    Gufunc {
        layout: &'a str,
        writable: &'a [usize],
        boundscheck: bool,
    },
}

/// One cached loop: what the JIT and the ufunc need, without compiling anything.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedLoop {
    pub kernel: String,
    /// The kernel's source file (for `cache list`).
    pub filename: String,
    /// The signature as written (the `inspect_llvm` key).
    pub signature: String,
    /// The loop's exported symbol in `object`.
    pub symbol: String,
    pub inputs: Vec<Scalar>,
    pub outputs: Vec<Scalar>,
    /// Inputs NumPy must pass read-write (see `CompiledLoop::read_write_inputs`).
    pub read_write_inputs: Vec<usize>,
    pub split_anywhere: bool,
    pub llvm_ir: String,
    pub object: Vec<u8>,
}

/// One file of the cache, for listing.
#[derive(Debug, Clone)]
pub struct EntryInfo {
    pub path: PathBuf,
    pub kernel: String,
    pub filename: String,
    pub signature: String,
    pub bytes: u64,
    /// Last load or store.
    pub last_used: SystemTime,
}

/// Why a file could not be used (becomes a warning; the loop is compiled and the file rewritten).
#[derive(Debug, Clone, PartialEq)]
pub struct Unusable {
    pub path: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ignoring cache file {}: {}; it will be rewritten",
            self.path.display(),
            self.reason
        )
    }
}

impl Cache {
    /// A cache in `dir` (created if missing) holding at most `max_bytes`. Fails with a message
    /// when the directory cannot be created or written.
    pub fn open(dir: impl Into<PathBuf>, max_bytes: u64) -> Result<Cache, String> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let probe = dir.join(format!(".probe-{}", std::process::id()));
        fs::write(&probe, b"")
            .and_then(|()| fs::remove_file(&probe))
            .map_err(|e| format!("cannot write to {}: {e}", dir.display()))?;
        Ok(Cache { dir, max_bytes })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key of one loop of `spec` for `signature`.
    pub fn key(&self, spec: &KernelSpec, signature: &str, kind: LoopKind<'_>) -> Key {
        let mut h = Sha256::new();
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        field(&FORMAT.to_le_bytes());
        field(env!("CARGO_PKG_VERSION").as_bytes());
        let host = crate::codegen::host_info();
        field(host.llvm_version.as_bytes());
        field(host.cpu_name.as_bytes());
        field(host.cpu_features.join(",").as_bytes());
        field(crate::vecmath::state().tier.name().as_bytes());
        match kind {
            LoopKind::Vectorize => field(b"vectorize"),
            LoopKind::Gufunc {
                layout,
                writable,
                boundscheck,
            } => {
                field(b"gufunc");
                field(layout.as_bytes());
                field(format!("{writable:?}").as_bytes());
                field(&[boundscheck as u8]);
            }
        }
        field(format!("{:?}", spec.options).as_bytes());
        field(signature.as_bytes());
        field(spec.name.as_bytes());
        field(format!("{:?}", spec.source).as_bytes());
        // Debug of the frozen values is deterministic (no addresses, no hash maps) and spells
        // every number exactly; helper functions carry their source and globals inside.
        field(format!("{:?}", spec.globals).as_bytes());
        Key(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    fn path(&self, key: &Key) -> PathBuf {
        self.dir.join(format!("{}.{SUFFIX}", key.0))
    }

    /// The loop stored under `key`: `Ok(None)` when there is none, `Err` when the file exists
    /// but cannot be used (the caller warns, compiles and stores again).
    pub fn load(&self, key: &Key) -> Result<Option<CachedLoop>, Unusable> {
        let path = self.path(key);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Unusable {
                    path,
                    reason: e.to_string(),
                })
            }
        };
        let (stored_key, entry) = decode(&bytes).map_err(|reason| Unusable {
            path: path.clone(),
            reason,
        })?;
        if stored_key != key.0 {
            return Err(Unusable {
                path,
                reason: "it holds another key".into(),
            });
        }
        touch(&path);
        Ok(Some(entry))
    }

    /// Stores `entry` under `key` atomically, then trims the cache to its size cap.
    pub fn store(&self, key: &Key, entry: &CachedLoop) -> Result<(), String> {
        let path = self.path(key);
        let tmp = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            key.0,
            std::process::id(),
            unique_suffix()
        ));
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&encode(key, entry))?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(format!("cannot write {}: {e}", path.display()));
        }
        self.evict();
        Ok(())
    }

    /// Every readable entry, most recently used first; unreadable files are skipped.
    pub fn list(&self) -> Vec<EntryInfo> {
        let mut out: Vec<EntryInfo> = self
            .files()
            .into_iter()
            .filter_map(|(path, bytes, last_used)| {
                let data = fs::read(&path).ok()?;
                let (_, e) = decode(&data).ok()?;
                Some(EntryInfo {
                    path,
                    kernel: e.kernel,
                    filename: e.filename,
                    signature: e.signature,
                    bytes,
                    last_used,
                })
            })
            .collect();
        out.sort_by_key(|e| std::cmp::Reverse(e.last_used));
        out
    }

    /// Removes entries not used for `older_than` (all of them for `None`), and leftover
    /// temporary files; returns how many entries were removed.
    pub fn clear(&self, older_than: Option<Duration>) -> usize {
        let now = SystemTime::now();
        let mut removed = 0;
        for (path, _, last_used) in self.files() {
            let old = older_than.is_none_or(|age| {
                now.duration_since(last_used)
                    .is_ok_and(|elapsed| elapsed >= age)
            });
            if old && fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
        if let Ok(dir) = fs::read_dir(&self.dir) {
            for e in dir.flatten() {
                let stale_tmp = e.file_name().to_string_lossy().ends_with(".tmp")
                    && e.metadata()
                        .ok()
                        .and_then(|m| m.modified().ok())
                        .is_some_and(|t| {
                            now.duration_since(t).unwrap_or_default() > Duration::from_secs(3600)
                        });
                if stale_tmp
                    || (older_than.is_none() && e.file_name().to_string_lossy().ends_with(".tmp"))
                {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        removed
    }

    /// `(path, size, last use)` of every entry file.
    fn files(&self) -> Vec<(PathBuf, u64, SystemTime)> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        dir.flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == SUFFIX))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                Some((e.path(), meta.len(), used))
            })
            .collect()
    }

    /// Removes least recently used entries until the cache fits its cap.
    fn evict(&self) {
        let mut files = self.files();
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        if total <= self.max_bytes {
            return;
        }
        files.sort_by_key(|f| f.2);
        for (path, bytes, _) in files {
            if total <= self.max_bytes {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(bytes);
            }
        }
    }
}

/// Marks a file as just used (LRU order); a failure only makes eviction less precise.
fn touch(path: &Path) {
    if let Ok(f) = fs::File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

fn unique_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    (nanos << 16) ^ N.fetch_add(1, Ordering::Relaxed)
}

fn type_chars(types: &[Scalar]) -> String {
    types.iter().map(|t| t.type_char()).collect()
}

fn from_type_chars(text: &str) -> Result<Vec<Scalar>, String> {
    text.chars()
        .map(|c| {
            Scalar::ALL
                .iter()
                .copied()
                .find(|s| s.type_char() == c)
                .ok_or_else(|| format!("unknown type code {c:?}"))
        })
        .collect()
}

/// `MAGIC, FORMAT, fields..., SHA-256 of all before`; each field is a u64 length and bytes.
fn encode(key: &Key, e: &CachedLoop) -> Vec<u8> {
    let mut out = Vec::with_capacity(e.object.len() + e.llvm_ir.len() + 512);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    let (inputs, outputs) = (type_chars(&e.inputs), type_chars(&e.outputs));
    let read_write: Vec<u8> = e
        .read_write_inputs
        .iter()
        .map(|&i| u8::try_from(i).unwrap_or(u8::MAX))
        .collect();
    let fields: [&[u8]; 11] = [
        key.0.as_bytes(),
        e.kernel.as_bytes(),
        e.filename.as_bytes(),
        e.signature.as_bytes(),
        e.symbol.as_bytes(),
        inputs.as_bytes(),
        outputs.as_bytes(),
        &read_write,
        if e.split_anywhere { b"1" } else { b"0" },
        e.llvm_ir.as_bytes(),
        &e.object,
    ];
    for f in fields {
        out.extend_from_slice(&(f.len() as u64).to_le_bytes());
        out.extend_from_slice(f);
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

fn decode(bytes: &[u8]) -> Result<(String, CachedLoop), String> {
    let body_len = bytes.len().checked_sub(32).ok_or("the file is truncated")?;
    let (body, sum) = bytes.split_at(body_len);
    if body.len() < 12 || &body[..8] != MAGIC {
        return Err("not a ufuncgen cache file".into());
    }
    let format = u32::from_le_bytes(body[8..12].try_into().map_err(|_| "truncated")?);
    if format != FORMAT {
        return Err(format!(
            "cache format {format}, this ufuncgen writes {FORMAT}"
        ));
    }
    if Sha256::digest(body).as_slice() != sum {
        return Err("its checksum does not match (truncated or corrupted)".into());
    }
    let mut rest = &body[12..];
    let mut next = || -> Result<&[u8], String> {
        if rest.len() < 8 {
            return Err("a field is truncated".into());
        }
        let (len, tail) = rest.split_at(8);
        let len = u64::from_le_bytes(len.try_into().map_err(|_| "truncated")?) as usize;
        if tail.len() < len {
            return Err("a field is truncated".into());
        }
        let (field, tail) = tail.split_at(len);
        rest = tail;
        Ok(field)
    };
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| "a text field is not UTF-8");
    let key = text(next()?)?;
    let kernel = text(next()?)?;
    let filename = text(next()?)?;
    let signature = text(next()?)?;
    let symbol = text(next()?)?;
    let inputs = from_type_chars(&text(next()?)?)?;
    let outputs = from_type_chars(&text(next()?)?)?;
    let read_write_inputs = next()?.iter().map(|&i| usize::from(i)).collect();
    let split_anywhere = next()? == b"1";
    let llvm_ir = text(next()?)?;
    let object = next()?.to_vec();
    Ok((
        key,
        CachedLoop {
            kernel,
            filename,
            signature,
            symbol,
            inputs,
            outputs,
            read_write_inputs,
            split_anywhere,
            llvm_ir,
            object,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Options;

    fn spec(source: &str) -> KernelSpec {
        KernelSpec::for_tests(source)
    }

    fn entry() -> CachedLoop {
        CachedLoop {
            kernel: "k".into(),
            filename: "k.py".into(),
            signature: "f8(f8)".into(),
            symbol: "ufg.k.dd.1.loop".into(),
            inputs: vec![Scalar::F64],
            outputs: vec![Scalar::F64],
            read_write_inputs: vec![0],
            split_anywhere: true,
            llvm_ir: "; ir".into(),
            object: vec![0x7f, b'E', b'L', b'F', 1, 2, 3],
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ufg-cache-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn round_trip_and_misses() {
        let cache = Cache::open(temp_dir("rt"), 1 << 20).unwrap();
        let s = spec("def k(x):\n    return x\n");
        let key = cache.key(&s, "f8(f8)", LoopKind::Vectorize);
        assert_eq!(cache.load(&key), Ok(None));
        cache.store(&key, &entry()).unwrap();
        assert_eq!(cache.load(&key), Ok(Some(entry())));
        // Source, signature, kind and options are all part of the key.
        let other = cache.key(
            &spec("def k(x):\n    return x + 1\n"),
            "f8(f8)",
            LoopKind::Vectorize,
        );
        assert_ne!(key, other);
        assert_ne!(key, cache.key(&s, "f4(f4)", LoopKind::Vectorize));
        let gufunc = LoopKind::Gufunc {
            layout: "()->()",
            writable: &[],
            boundscheck: true,
        };
        assert_ne!(key, cache.key(&s, "f8(f8)", gufunc));
        let fast = KernelSpec {
            options: Options { fastmath: true },
            ..s.clone()
        };
        assert_ne!(key, cache.key(&fast, "f8(f8)", LoopKind::Vectorize));
        assert_eq!(cache.list().len(), 1);
        assert_eq!(cache.clear(None), 1);
        assert_eq!(cache.load(&key), Ok(None));
    }

    #[test]
    fn damaged_files_are_unusable_not_fatal() {
        let cache = Cache::open(temp_dir("damage"), 1 << 20).unwrap();
        let key = cache.key(
            &spec("def k(x):\n    return x\n"),
            "f8(f8)",
            LoopKind::Vectorize,
        );
        cache.store(&key, &entry()).unwrap();
        let path = cache.path(&key);
        let good = fs::read(&path).unwrap();
        let cases: Vec<Vec<u8>> = vec![
            good[..good.len() / 2].to_vec(),
            {
                let mut b = good.clone();
                b[40] ^= 0x10;
                b
            },
            b"garbage".to_vec(),
            Vec::new(),
        ];
        for bad in cases {
            fs::write(&path, &bad).unwrap();
            assert!(cache.load(&key).is_err(), "{bad:?}");
        }
        // Filed under another key's name.
        let other = cache.key(
            &spec("def k(x):\n    return -x\n"),
            "f8(f8)",
            LoopKind::Vectorize,
        );
        fs::write(cache.path(&other), &good).unwrap();
        assert!(cache
            .load(&other)
            .unwrap_err()
            .reason
            .contains("another key"));
    }

    #[test]
    fn the_size_cap_evicts_least_recently_used() {
        let one = encode(&Key("0".repeat(64)), &entry()).len() as u64;
        let cache = Cache::open(temp_dir("lru"), one * 3 + one / 2).unwrap();
        let keys: Vec<Key> = (0..3)
            .map(|i| {
                let k = cache.key(
                    &spec(&format!("def k(x):\n    return x + {i}\n")),
                    "f8(f8)",
                    LoopKind::Vectorize,
                );
                cache.store(&k, &entry()).unwrap();
                // Distinct modification times, oldest first.
                let t = SystemTime::now() - Duration::from_secs(100 - i);
                fs::File::options()
                    .append(true)
                    .open(cache.path(&k))
                    .unwrap()
                    .set_modified(t)
                    .unwrap();
                k
            })
            .collect();
        cache.load(&keys[0]).unwrap(); // now the most recently used
        let k3 = cache.key(
            &spec("def k(x):\n    return x * 9\n"),
            "f8(f8)",
            LoopKind::Vectorize,
        );
        cache.store(&k3, &entry()).unwrap();
        assert!(cache.load(&keys[0]).unwrap().is_some());
        assert!(cache.load(&keys[1]).unwrap().is_none());
        assert_eq!(cache.list().len(), 3);
    }
}
