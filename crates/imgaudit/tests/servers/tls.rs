//! Certificates and keys made with the `openssl` CLI.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{require_tool, run_ok};

/// A test certificate authority and a server certificate it signed for `IP:127.0.0.1`.
///
/// Two certificates rather than one self-signed: webpki (rustls) rejects a CA certificate
/// presented as a server's end-entity certificate, so a single self-signed cert would only work
/// with Go and OpenSSL clients.
#[derive(Debug)]
pub(crate) struct ServerTls {
    /// A directory holding only `ca.crt` (what skopeo's `--cert-dir` expects: no key there).
    pub(crate) ca_dir: PathBuf,
    pub(crate) ca_cert: PathBuf,
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

fn openssl(dir: &Path) -> Command {
    let mut command = Command::new("openssl");
    command.current_dir(dir);
    command
}

/// Makes the CA (in `dir/ca/ca.crt`, its key in `dir/ca-key.pem`) and the server certificate.
pub(crate) fn server_tls(dir: &Path) -> ServerTls {
    require_tool("openssl");
    let ca_dir = dir.join("ca");
    std::fs::create_dir_all(&ca_dir).unwrap();
    let ca_cert = ca_dir.join("ca.crt");
    let ca_key = dir.join("ca-key.pem");
    run_ok(
        openssl(dir)
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "3"])
            .args(["-subj", "/CN=imgaudit test CA"])
            .args(["-addext", "basicConstraints=critical,CA:TRUE"])
            .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
            .arg("-keyout")
            .arg(&ca_key)
            .arg("-out")
            .arg(&ca_cert),
    );
    let key = dir.join("server-key.pem");
    let csr = dir.join("server.csr");
    run_ok(
        openssl(dir)
            .args(["req", "-new", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:P-256", "-nodes"])
            .args(["-subj", "/CN=127.0.0.1"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&csr),
    );
    let extensions = dir.join("server.ext");
    std::fs::write(
        &extensions,
        "subjectAltName = IP:127.0.0.1\n\
         basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature\n\
         extendedKeyUsage = serverAuth\n",
    )
    .unwrap();
    let cert = dir.join("server.crt");
    run_ok(
        openssl(dir)
            .args(["x509", "-req", "-days", "3", "-set_serial", "2"])
            .arg("-in")
            .arg(&csr)
            .arg("-CA")
            .arg(&ca_cert)
            .arg("-CAkey")
            .arg(&ca_key)
            .arg("-extfile")
            .arg(&extensions)
            .arg("-out")
            .arg(&cert),
    );
    ServerTls {
        ca_dir,
        ca_cert,
        cert,
        key,
    }
}

/// The token issuer's signing identity: a P-256 key and a self-signed certificate for it.
#[derive(Debug)]
pub(crate) struct SigningIdentity {
    /// PEM, for the registry's `auth.token.rootcertbundle`.
    pub(crate) cert_pem: PathBuf,
    /// DER, for the JWT header's `x5c`.
    pub(crate) cert_der: Vec<u8>,
    /// PKCS#8 DER, for `ring::signature::EcdsaKeyPair::from_pkcs8`.
    pub(crate) pkcs8: Vec<u8>,
}

pub(crate) fn signing_identity(dir: &Path) -> SigningIdentity {
    require_tool("openssl");
    let key_pem = dir.join("token-key.pem");
    let cert_pem = dir.join("token.crt");
    run_ok(
        openssl(dir)
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "3"])
            .args(["-subj", "/CN=imgaudit test token issuer"])
            .arg("-keyout")
            .arg(&key_pem)
            .arg("-out")
            .arg(&cert_pem),
    );
    let pkcs8 = dir.join("token-key.pk8");
    run_ok(
        openssl(dir)
            .args(["pkcs8", "-topk8", "-nocrypt", "-outform", "DER"])
            .arg("-in")
            .arg(&key_pem)
            .arg("-out")
            .arg(&pkcs8),
    );
    let cert_der = dir.join("token.der");
    run_ok(
        openssl(dir)
            .args(["x509", "-outform", "DER"])
            .arg("-in")
            .arg(&cert_pem)
            .arg("-out")
            .arg(&cert_der),
    );
    SigningIdentity {
        cert_pem,
        cert_der: std::fs::read(cert_der).unwrap(),
        pkcs8: std::fs::read(pkcs8).unwrap(),
    }
}
