//! Matrix against a real Synapse: firing and resolved notices appear in the room,
//! read back through `/messages`, with their HTML body escaped; `send-test` too.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{alert, group, spawn_app, synapse_room, test_config, with_matrix};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_appear_in_the_room_with_their_html_body() {
    let (synapse, user, room) = tokio::task::block_in_place(synapse_room);
    let (mut config, dir) = test_config();
    with_matrix(&mut config, &synapse.url(), &user, &room);
    let app = spawn_app(config, dir).await;

    let labels = json!({"alertname": "QueueBacklog", "severity": "warning", "platform": "prod",
                        "service": "queue-saphir", "queue": "saphir",
                        "instance": "<img src=x onerror=alert(1)>"});
    let annotations = json!({"summary": "Backlog on saphir", "description": "<script>x()</script> 120 waiting",
                             "runbook_url": "https://vigie.test/runbooks#queuebacklog"});
    for status in ["firing", "resolved"] {
        let body = group(
            status,
            "QueueBacklog",
            vec![alert(status, labels.clone(), annotations.clone())],
        );
        assert_eq!(app.post_webhook(&body).await.status(), 200);
    }
    let events = tokio::task::block_in_place(|| {
        synapse.wait_for_messages(&user, &room, 2, Duration::from_secs(30))
    });
    assert_eq!(events.len(), 2, "{events:#?}");
    let mut bodies = Vec::new();
    for (event, status) in events.iter().zip(["FIRING", "RESOLVED"]) {
        let content = &event["content"];
        assert_eq!(content["msgtype"], "m.notice");
        assert_eq!(content["format"], "org.matrix.custom.html");
        assert_eq!(event["sender"], user.user_id.as_str());
        let body = content["body"].as_str().unwrap();
        let html = content["formatted_body"].as_str().unwrap();
        assert!(
            body.starts_with(&format!("{status}: QueueBacklog")),
            "{body}"
        );
        assert!(
            body.contains("queue=saphir") && body.contains("Backlog on saphir"),
            "{body}"
        );
        assert!(
            body.contains("Runbook: https://vigie.test/runbooks#queuebacklog"),
            "{body}"
        );
        assert!(
            html.contains("<h4>") && html.contains("Runbook</a>"),
            "{html}"
        );
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;x()&lt;&#x2f;script&gt; 120 waiting"),
            "{html}"
        );
        bodies.push(body.to_owned());
    }
    assert!(
        bodies[1].contains("ended 2026-11-21 22:45:03 UTC"),
        "{}",
        bodies[1]
    );
    app.stop().await;
}
