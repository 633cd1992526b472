//! The demo portal's static files, served at `/` beside the API.
//!
//! The portal is the page in `wasm/demo/` with the package that `wasm/build` writes to
//! `wasm/pkg/`: it is read from that folder (`--portal DIR`, default: this source tree's
//! `wasm/`) rather than embedded, so the host builds and its tests run without a
//! WebAssembly build. Only the page's own files, the package, mermaid's bundle and the
//! bundled workflows are reachable; `tower_http`'s `ServeDir` refuses paths that leave
//! its folder.

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use std::path::{Path, PathBuf};
use tower_http::services::{ServeDir, ServeFile};

/// The file whose presence says the package was built.
const BUILT_MARK: &str = "pkg/runtime/index.js";

/// A portal folder that holds a built page.
#[derive(Debug, Clone)]
pub struct Portal {
    /// The `wasm/` folder: `demo/`, `pkg/`, `node_modules/mermaid/dist/`.
    dir: PathBuf,
}

/// Where the portal is, or why it is not served.
#[derive(Debug, Clone)]
pub enum PortalChoice {
    /// Serve it.
    Serve(Portal),
    /// The default folder has no built package: `/` says how to build it.
    Missing(String),
}

impl Portal {
    /// This source tree's `wasm/` folder, where `wasm/build` writes the package.
    pub fn default_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("wasm")
    }

    /// Checks `dir` (default: [`Portal::default_dir`]). A folder given explicitly must
    /// hold a built portal (an error otherwise); the default one may not, and then `/`
    /// answers how to build it.
    pub fn choose(dir: Option<PathBuf>) -> Result<PortalChoice, String> {
        let explicit = dir.is_some();
        let dir = dir.unwrap_or_else(Self::default_dir);
        let missing = ["demo/index.html", BUILT_MARK]
            .into_iter()
            .find(|file| !dir.join(file).is_file());
        match missing {
            None => Ok(PortalChoice::Serve(Portal { dir })),
            Some(file) => {
                let message = format!(
                    "the portal is not served: {} has no {file}; build it with `bash wasm/build` \
                     (from the repository), or pass --portal DIR (the `wasm` folder of a built tree)",
                    dir.display()
                );
                if explicit {
                    Err(message)
                } else {
                    Ok(PortalChoice::Missing(message))
                }
            }
        }
    }

    /// The routes of the page's files.
    fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let demo = self.dir.join("demo");
        let mut router = Router::new()
            .route_service("/", ServeFile::new(demo.join("index.html")))
            .nest_service("/pkg", ServeDir::new(self.dir.join("pkg")))
            .nest_service(
                "/node_modules/mermaid/dist",
                ServeDir::new(self.dir.join("node_modules/mermaid/dist")),
            );
        // The page loads the seed's RON text from `../../workflows/` (from `/`: `/workflows/`).
        let workflows = self.dir.join("..").join("workflows");
        if workflows.is_dir() {
            router = router.nest_service("/workflows", ServeDir::new(workflows));
        }
        // The page's own files (app.js, style.css, ...), not the test server or notes.
        if let Ok(entries) = std::fs::read_dir(&demo) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let page_file = [".html", ".js", ".css", ".svg", ".png", ".ico"]
                    .iter()
                    .any(|ext| name.ends_with(ext))
                    && !name.ends_with(".mjs");
                if page_file {
                    router =
                        router.route_service(&format!("/{name}"), ServeFile::new(entry.path()));
                }
            }
        }
        router
    }
}

impl PortalChoice {
    /// The routes: the portal's files, or `/` explaining why there are none.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        match self {
            PortalChoice::Serve(portal) => portal.router(),
            PortalChoice::Missing(message) => {
                let message = message.clone();
                Router::new().route(
                    "/",
                    get(move || async move {
                        (
                            StatusCode::NOT_FOUND,
                            [(
                                header::CONTENT_TYPE,
                                HeaderValue::from_static("text/plain; charset=utf-8"),
                            )],
                            message,
                        )
                            .into_response()
                    }),
                )
            }
        }
    }
}
