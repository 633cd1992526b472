//! `directrix serve` serves the portal's static files at `/` from a built `wasm` folder
//! (`--portal DIR`), and only those. (The page itself: wasm/tests/serve-e2e.mjs.)

mod common;

use common::BIN;
use common::serve::{Server, data_dir};
use std::path::Path;
use std::process::Command;

/// A built tree in miniature: `wasm/demo`, `wasm/pkg`, mermaid's bundle, `workflows/`,
/// and files beside them that must not be served.
fn built_tree(root: &Path) -> std::path::PathBuf {
    let wasm = root.join("wasm");
    for (path, text) in [
        (
            "wasm/demo/index.html",
            "<!doctype html><title>portal</title>",
        ),
        ("wasm/demo/app.js", "export const app = 1;"),
        ("wasm/demo/style.css", "body {}"),
        ("wasm/demo/serve.mjs", "// the test server"),
        ("wasm/demo/README.md", "notes"),
        ("wasm/pkg/runtime/index.js", "export default 1;"),
        ("wasm/pkg/runtime/runtime_bg.wasm", "\0asm"),
        (
            "wasm/node_modules/mermaid/dist/mermaid.min.js",
            "var mermaid;",
        ),
        ("wasm/node_modules/other/secret.js", "secret"),
        ("wasm/package.json", "{}"),
        ("workflows/seed.ron", "(seed)"),
        ("secret.txt", "secret"),
    ] {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().expect("a folder")).expect("mkdir");
        std::fs::write(file, text).expect("write");
    }
    wasm
}

#[test]
fn the_portal_is_served_at_the_root_and_nothing_else_of_its_folder() {
    let data = data_dir("portal-files");
    let wasm = built_tree(&data.join("tree"));
    let server = Server::start(&data, &["--portal", wasm.to_str().expect("UTF-8")]);
    let get = |path: &str| server.request("GET", path, None, &[], b"");

    let page = get("/");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<title>portal</title>"));
    assert!(
        page.header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );
    for (path, kind) in [
        ("/app.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/pkg/runtime/index.js", "text/javascript"),
        ("/pkg/runtime/runtime_bg.wasm", "application/wasm"),
        (
            "/node_modules/mermaid/dist/mermaid.min.js",
            "text/javascript",
        ),
        ("/workflows/seed.ron", ""),
    ] {
        let answer = get(path);
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        assert!(
            answer
                .header("content-type")
                .is_some_and(|t| t.starts_with(kind)),
            "{path}: {:?}",
            answer.header("content-type")
        );
    }
    for path in [
        "/serve.mjs",
        "/README.md",
        "/package.json",
        "/secret.txt",
        "/pkg/../package.json",
        "/pkg/%2e%2e/package.json",
        "/pkg/..%2fpackage.json",
        "/workflows/../secret.txt",
        "/workflows/%2e%2e/secret.txt",
        "/node_modules/other/secret.js",
        "/node_modules/mermaid/dist/../../other/secret.js",
    ] {
        let answer = get(path);
        assert_eq!(
            answer.status, 404,
            "{path} must not be served: {}",
            answer.body
        );
        assert!(!answer.body.contains("secret"), "{path}");
    }
    // The API beside it is unchanged.
    assert_eq!(get("/healthz").status, 200);
    assert_eq!(get("/v1/inbox").status, 401);
}

#[test]
fn a_portal_folder_without_a_built_package_is_refused_with_how_to_build_it() {
    let data = data_dir("portal-unbuilt");
    let wasm = data.join("wasm");
    std::fs::create_dir_all(wasm.join("demo")).expect("mkdir");
    std::fs::write(wasm.join("demo/index.html"), "<!doctype html>").expect("write");
    let output = Command::new(BIN)
        .arg("serve")
        .args(data.args())
        .args(["--listen", "127.0.0.1:0", "--portal"])
        .arg(&wasm)
        .output()
        .expect("run directrix serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pkg/runtime/index.js") && stderr.contains("bash wasm/build"),
        "{stderr}"
    );
}

#[test]
fn no_portal_serves_the_api_alone() {
    let data = data_dir("portal-none");
    let server = Server::start(&data, &["--no-portal"]);
    let root = server.request("GET", "/", None, &[], b"");
    assert_eq!((root.status, root.code().as_str()), (404, "not_found"));
}
