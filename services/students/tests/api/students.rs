//! Every route with healthy backends, the JSON errors, and the migrations: applied
//! once, idempotent across restarts and replicas, safe on a volume initialised by
//! the proof of concept's init scripts.

use testkit::TestDatabase;

use crate::helpers::{Backends, SEEDED_STUDENTS, json, spawn_app, views};

#[tokio::test]
async fn lists_the_students_with_one_view_counter() {
    let backends = Backends::start();
    let app = spawn_app(&backends).await;

    let (status, body) = json(app.get("/").await).await;
    assert_eq!(status, 200, "{body}");
    let students = body.as_array().expect("an array");
    assert_eq!(students.len(), SEEDED_STUDENTS);
    assert_eq!(
        students[0],
        serde_json::json!({"id": 1, "nom": "Camille Martin", "promo": "M2 Info", "views": 1})
    );
    assert_eq!(students[1]["nom"], "Léa Dubois", "UTF-8 survives");
    for student in students {
        let keys: Vec<&str> = student
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["id", "nom", "promo", "views"]);
    }
    assert_eq!(views(&body), vec![Some(1); SEEDED_STUDENTS]);

    let (_, body) = json(app.get("/").await).await;
    assert_eq!(
        views(&body),
        vec![Some(2); SEEDED_STUDENTS],
        "one INCR per request"
    );
    assert_eq!(
        backends
            .redis
            .command(&["GET", "students:views"])
            .as_deref(),
        Some("$1\r\n2\r\n"),
        "the contract's key"
    );
    app.stop().await;
}

#[tokio::test]
async fn version_health_and_liveness() {
    let backends = Backends::start();
    let app = spawn_app(&backends).await;

    let (status, body) = json(app.get("/version").await).await;
    assert_eq!(status, 200);
    assert!(
        body["version"]
            .as_str()
            .expect("version")
            .starts_with("PostgreSQL "),
        "{body}"
    );

    let (status, health) = json(app.get("/healthcheck").await).await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["checks"]["postgres"]["status"], "up");
    assert_eq!(health["checks"]["postgres"]["required"], true);
    assert_eq!(health["checks"]["redis"]["status"], "up");
    assert_eq!(health["checks"]["redis"]["required"], false);

    let (status, live) = json(app.get("/livez").await).await;
    assert_eq!((status, live), (200, serde_json::json!({"status": "ok"})));
    app.stop().await;
}

#[tokio::test]
async fn bad_requests_get_json_errors() {
    let backends = Backends::start();
    let app = spawn_app(&backends).await;
    for path in ["/nope", "/students", "/metrics", "/version/x"] {
        let (status, body) = json(app.get(path).await).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"], format!("no route for {path}"));
    }
    for (method, path) in [
        (reqwest::Method::POST, "/"),
        (reqwest::Method::DELETE, "/"),
        (reqwest::Method::PUT, "/version"),
        (reqwest::Method::POST, "/healthcheck"),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .expect("sent");
        let (status, body) = json(response).await;
        assert_eq!(status, 405, "{method} {path}");
        assert!(body["error"].is_string(), "{body}");
    }
    app.stop().await;
}

fn migration_count(db: &TestDatabase) -> String {
    db.psql("SELECT count(*) FROM _sqlx_migrations WHERE success")
}

#[tokio::test]
async fn migrations_apply_once_and_survive_restarts_and_replicas() {
    let backends = Backends::start();
    // Two replicas starting together on an empty database.
    let (first, second) = tokio::join!(spawn_app(&backends), spawn_app(&backends));
    assert_eq!(migration_count(&backends.db), "2");
    assert_eq!(
        backends.db.psql("SELECT count(*) FROM students"),
        SEEDED_STUDENTS.to_string()
    );
    let checksums_before = backends
        .db
        .psql("SELECT version, encode(checksum, 'hex') FROM _sqlx_migrations ORDER BY version");
    first.stop().await;
    second.stop().await;

    // A student added by hand, then a restart: nothing re-seeded, nothing lost.
    backends
        .db
        .psql("INSERT INTO students (nom, promo) VALUES ('Nouvelle Recrue', 'M2 Info')");
    let app = spawn_app(&backends).await;
    assert_eq!(migration_count(&backends.db), "2");
    let (_, body) = json(app.get("/").await).await;
    let students = body.as_array().expect("array");
    assert_eq!(students.len(), SEEDED_STUDENTS + 1);
    assert_eq!(
        students[SEEDED_STUDENTS]["id"], 9,
        "the sequence was moved past the seeds"
    );
    assert_eq!(
        backends
            .db
            .psql("SELECT version, encode(checksum, 'hex') FROM _sqlx_migrations ORDER BY version"),
        checksums_before
    );
    app.stop().await;
}

#[tokio::test]
async fn a_volume_initialised_by_the_poc_scripts_is_adopted() {
    let backends = Backends::start();
    // What docker-entrypoint-initdb.d ran on the POC's volume: the tables and rows,
    // without sqlx's history.
    for statement in [
        "CREATE TABLE promotions (code TEXT PRIMARY KEY, libelle TEXT NOT NULL, annee INTEGER NOT NULL)",
        "INSERT INTO promotions VALUES ('M2 Info', 'Master 2 Informatique', 2025)",
        "CREATE TABLE students (id SERIAL PRIMARY KEY, nom TEXT NOT NULL, promo TEXT NOT NULL)",
        "INSERT INTO students (nom, promo) VALUES ('Camille Martin', 'M2 Info'), ('Ancien Étudiant', 'M1 Info')",
    ] {
        backends.db.psql(statement);
    }
    let app = spawn_app(&backends).await;
    assert_eq!(migration_count(&backends.db), "2");
    let (status, body) = json(app.get("/").await).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = body
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["nom"].as_str().expect("nom"))
        .collect();
    assert_eq!(
        names.len(),
        SEEDED_STUDENTS,
        "ids 1 and 2 were kept, 3..8 added"
    );
    assert_eq!(names[..2], ["Camille Martin", "Ancien Étudiant"]);
    app.stop().await;
}
