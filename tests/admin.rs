//! better-auth's admin plugin: permissions for each role, bans wherever a session opens, and the
//! admin endpoints against real SQLite.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::json;
use support::*;

const PASSWORD: &str = "correct horse battery";

/// A signed-in admin (role `admin`, set as `npm run admin -- promote` does) and a signed-in user.
fn admin_and_user(t: &TestApp) -> (Client<'_>, Client<'_>, String) {
    let mut admin = t.client();
    admin.sign_up("admin@example.com", PASSWORD);
    t.sql
        .exec(r#"update "user" set "role" = 'admin' where "email" = 'admin@example.com'"#);
    let mut user = t.client();
    let id = user.sign_up("user@example.com", PASSWORD).json()["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (admin, user, id)
}

#[test]
fn new_users_have_the_default_role_and_no_ban_in_every_answer() {
    let t = TestApp::new();
    let mut c = t.client();
    let user = c.sign_up("a@example.com", PASSWORD).json()["user"].clone();
    assert_eq!(user["role"], "user");
    assert_eq!(user["banned"], false);
    assert_eq!(user["banReason"], json!(null));
    assert_eq!(user["banExpires"], json!(null));
    assert_eq!(c.session()["user"]["role"], "user");
}

#[test]
fn users_without_an_admin_role_are_refused_every_admin_action() {
    let t = TestApp::new();
    let (_, mut user, id) = admin_and_user(&t);
    let cases = [
        (
            "/api/auth/admin/set-role",
            json!({"userId": id, "role": "admin"}),
            "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE",
        ),
        (
            "/api/auth/admin/ban-user",
            json!({"userId": id}),
            "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS",
        ),
        (
            "/api/auth/admin/unban-user",
            json!({"userId": id}),
            "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS",
        ),
        (
            "/api/auth/admin/list-user-sessions",
            json!({"userId": id}),
            "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS",
        ),
        (
            "/api/auth/admin/revoke-user-sessions",
            json!({"userId": id}),
            "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS",
        ),
        (
            "/api/auth/admin/revoke-user-session",
            json!({"sessionToken": "x"}),
            "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS",
        ),
        (
            "/api/auth/admin/remove-user",
            json!({"userId": id}),
            "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS",
        ),
        (
            "/api/auth/admin/set-user-password",
            json!({"userId": id, "newPassword": "another password"}),
            "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD",
        ),
    ];
    for (path, body, code) in cases {
        user.post(path, body).assert_error(403, code);
    }
    user.get(&format!("/api/auth/admin/get-user?id={id}"))
        .assert_error(403, "YOU_ARE_NOT_ALLOWED_TO_GET_USER");
    // Without a session: 401, before any permission.
    t.client()
        .post("/api/auth/admin/ban-user", json!({"userId": id}))
        .assert_error(401, "UNAUTHORIZED");
}

#[test]
fn admin_user_ids_pass_every_check_whatever_their_role() {
    let t = TestApp::with_vars(&[("ADMIN_USER_IDS", "boss-id")]);
    let hash =
        portcullis::crypto::password::hash(&portcullis::crypto::password::RustScrypt, PASSWORD)
            .unwrap();
    t.sql.exec(
        r#"insert into "user" ("id","name","email","emailVerified","createdAt","updatedAt","role") values ('boss-id','Boss','boss@example.com',0,'2026-01-01T00:00:00.000Z','2026-01-01T00:00:00.000Z','user')"#,
    );
    t.sql.exec(&format!(
        r#"insert into "account" ("id","accountId","providerId","userId","password","createdAt","updatedAt") values ('acc-boss','boss-id','credential','boss-id','{hash}','2026-01-01T00:00:00.000Z','2026-01-01T00:00:00.000Z')"#
    ));
    let target = t.client().sign_up("x@example.com", PASSWORD).json()["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut boss = t.client();
    assert_eq!(boss.sign_in("boss@example.com", PASSWORD).status(), 200);
    let res = boss.get(&format!("/api/auth/admin/get-user?id={target}"));
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json()["email"],
        "x@example.com",
        "get-user answers the bare user"
    );
    assert_eq!(res.json()["role"], "user");
}

#[test]
fn set_role_stores_several_roles_and_get_user_shows_them() {
    let t = TestApp::new();
    let (mut admin, _, id) = admin_and_user(&t);
    let res = admin.post(
        "/api/auth/admin/set-role",
        json!({"userId": id, "role": ["editor", "admin"]}),
    );
    assert_eq!(res.status(), 200);
    assert_eq!(res.json()["user"]["role"], "editor,admin");
    let got = admin
        .get(&format!("/api/auth/admin/get-user?id={id}"))
        .json();
    assert_eq!(got["role"], "editor,admin");
    admin
        .post(
            "/api/auth/admin/set-role",
            json!({"userId": "nobody", "role": "user"}),
        )
        .assert_error(404, "USER_NOT_FOUND");
    admin
        .post("/api/auth/admin/set-role", json!({"userId": id, "role": 5}))
        .assert_error(400, "VALIDATION_ERROR");
}

#[test]
fn a_ban_ends_open_sessions_at_once_and_refuses_sign_in_until_it_is_lifted() {
    let t = TestApp::new();
    let (mut admin, mut user, id) = admin_and_user(&t);
    assert_eq!(user.session()["user"]["id"], id.as_str());
    let res = admin.post(
        "/api/auth/admin/ban-user",
        json!({"userId": id, "banReason": "spam"}),
    );
    assert_eq!(res.status(), 200);
    assert_eq!(res.json()["user"]["banned"], true);
    assert_eq!(res.json()["user"]["banReason"], "spam");
    assert_eq!(
        user.session(),
        json!(null),
        "the banned user's session died with the ban"
    );
    assert_eq!(
        t.sql.count(&format!(
            r#"select count(*) from "session" where "userId" = '{id}'"#
        )),
        0
    );

    let refused = t.client().sign_in("user@example.com", PASSWORD);
    refused.assert_error(403, "BANNED_USER");
    assert_eq!(
        refused.json()["message"],
        "You have been banned from this application. Please contact support if you believe this is an error."
    );
    // A wrong password learns nothing about the ban.
    t.client()
        .sign_in("user@example.com", "wrong password!")
        .assert_error(401, "INVALID_EMAIL_OR_PASSWORD");

    let own = admin.session()["user"]["id"].clone();
    admin
        .post("/api/auth/admin/ban-user", json!({"userId": own}))
        .assert_error(400, "YOU_CANNOT_BAN_YOURSELF");

    let res = admin.post("/api/auth/admin/unban-user", json!({"userId": id}));
    assert_eq!(res.json()["user"]["banned"], false);
    assert_eq!(
        t.client().sign_in("user@example.com", PASSWORD).status(),
        200
    );
}

#[test]
fn a_timed_ban_lifts_itself_at_the_next_sign_in() {
    let t = TestApp::new();
    let (mut admin, _, id) = admin_and_user(&t);
    let res = admin.post(
        "/api/auth/admin/ban-user",
        json!({"userId": id, "banExpiresIn": 60}),
    );
    assert!(res.json()["user"]["banExpires"].is_string());
    t.client()
        .sign_in("user@example.com", PASSWORD)
        .assert_error(403, "BANNED_USER");
    t.advance(61_000);
    let res = t.client().sign_in("user@example.com", PASSWORD);
    assert_eq!(res.status(), 200);
    assert_eq!(res.json()["user"]["id"], id.as_str());
    assert_eq!(
        t.sql.count(&format!(r#"select count(*) from "user" where "id" = '{id}' and "banned" = 0 and "banExpires" is null"#)),
        1
    );
}

#[test]
fn a_ban_that_lands_while_a_sign_in_checks_the_password_leaves_no_session() {
    let t = TestApp::new();
    let (_, _, id) = admin_and_user(&t);
    t.sql.exec(r#"delete from "session""#);
    let ban = format!(r#"update "user" set "banned" = 1 where "id" = '{id}'"#);
    t.sql.before_write(r#"insert into "session""#, move |db| {
        db.execute_batch(&ban).unwrap();
    });
    t.client()
        .sign_in("user@example.com", PASSWORD)
        .assert_error(403, "BANNED_USER");
    assert_eq!(
        t.sql.count(&format!(
            r#"select count(*) from "session" where "userId" = '{id}'"#
        )),
        0
    );
}

#[test]
fn admins_list_and_revoke_another_users_sessions() {
    let t = TestApp::new();
    let (mut admin, mut user, id) = admin_and_user(&t);
    t.client().sign_in("user@example.com", PASSWORD);
    let list = admin
        .post("/api/auth/admin/list-user-sessions", json!({"userId": id}))
        .json();
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let handle = sessions[0]["token"].as_str().unwrap().to_string();
    assert_eq!(handle.len(), 64, "a digest handle, never the token");
    let res = admin.post(
        "/api/auth/admin/revoke-user-session",
        json!({"sessionToken": handle}),
    );
    assert_eq!(res.json(), json!({"success": true}));
    assert_eq!(
        user.session(),
        json!(null),
        "the first session was the user's sign-up session"
    );
    let res = admin.post(
        "/api/auth/admin/revoke-user-sessions",
        json!({"userId": id}),
    );
    assert_eq!(res.json(), json!({"success": true}));
    assert_eq!(
        t.sql.count(&format!(
            r#"select count(*) from "session" where "userId" = '{id}'"#
        )),
        0
    );
}

#[test]
fn remove_user_deletes_everything_but_never_the_admin_itself() {
    let t = TestApp::new();
    let (mut admin, mut user, id) = admin_and_user(&t);
    let res = admin.post("/api/auth/admin/remove-user", json!({"userId": id}));
    assert_eq!(res.json(), json!({"success": true}));
    assert_eq!(user.session(), json!(null));
    assert_eq!(
        t.sql.count(&format!(
            r#"select count(*) from "user" where "id" = '{id}'"#
        )),
        0
    );
    assert_eq!(
        t.sql.count(&format!(
            r#"select count(*) from "account" where "userId" = '{id}'"#
        )),
        0
    );
    admin
        .post("/api/auth/admin/remove-user", json!({"userId": id}))
        .assert_error(404, "USER_NOT_FOUND");
    let own = admin.session()["user"]["id"].clone();
    admin
        .post("/api/auth/admin/remove-user", json!({"userId": own}))
        .assert_error(400, "YOU_CANNOT_REMOVE_YOURSELF");
}

#[test]
fn set_user_password_replaces_the_password_within_the_length_rules() {
    let t = TestApp::new();
    let (mut admin, _, id) = admin_and_user(&t);
    admin
        .post(
            "/api/auth/admin/set-user-password",
            json!({"userId": id, "newPassword": "short"}),
        )
        .assert_error(400, "PASSWORD_TOO_SHORT");
    let res = admin.post(
        "/api/auth/admin/set-user-password",
        json!({"userId": id, "newPassword": "a brand new password"}),
    );
    assert_eq!(res.json(), json!({"status": true}));
    t.client()
        .sign_in("user@example.com", PASSWORD)
        .assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
    assert_eq!(
        t.client()
            .sign_in("user@example.com", "a brand new password")
            .status(),
        200
    );
}

#[test]
fn has_permission_checks_the_session_user_against_their_roles() {
    let t = TestApp::new();
    let (mut admin, mut user, _) = admin_and_user(&t);
    let ask = |c: &mut Client<'_>, body| c.post("/api/auth/admin/has-permission", body);
    assert_eq!(
        ask(
            &mut admin,
            json!({"permissions": {"user": ["ban", "get"], "session": ["revoke"]}})
        )
        .json(),
        json!({"error": null, "success": true})
    );
    assert_eq!(
        ask(
            &mut admin,
            json!({"permissions": {"user": ["impersonate-admins"]}})
        )
        .json()["success"],
        false
    );
    assert_eq!(
        ask(&mut admin, json!({"permissions": {}})).json()["success"],
        false
    );
    // The body's role is not the caller's.
    assert_eq!(
        ask(
            &mut user,
            json!({"role": "admin", "permissions": {"user": ["ban"]}})
        )
        .json()["success"],
        false
    );
    assert_eq!(
        ask(&mut user, json!({})).json()["message"],
        "invalid permission check. no permission(s) were passed."
    );
}

#[test]
fn a_banned_user_following_a_verification_link_gets_no_session() {
    let t = TestApp::with_vars(&[
        ("MAIL_PROVIDER", "log"),
        ("AUTO_SIGN_IN_AFTER_VERIFICATION", "true"),
    ]);
    let (mut admin, _, id) = admin_and_user(&t);
    let mut stranger = t.client();
    stranger.post(
        "/api/auth/send-verification-email",
        json!({"email": "user@example.com"}),
    );
    t.deliver_mail();
    let link = t.latest_link("user@example.com");
    admin.post("/api/auth/admin/ban-user", json!({"userId": id}));
    let path = link.trim_start_matches(BASE).to_string();
    stranger.get(&path).assert_error(403, "BANNED_USER");
    assert_eq!(
        t.sql.count(&format!(
            r#"select count(*) from "session" where "userId" = '{id}'"#
        )),
        0
    );
}

#[test]
fn create_user_makes_a_user_who_signs_in_and_refuses_what_better_auth_refuses() {
    let t = TestApp::new();
    let (mut admin, mut user, _) = admin_and_user(&t);
    let res = admin.post(
        "/api/auth/admin/create-user",
        json!({"email": "New@Example.com", "password": PASSWORD, "name": "New", "role": ["editor"], "data": {"emailVerified": true}}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    let created = res.json()["user"].clone();
    assert_eq!(created["email"], "new@example.com");
    assert_eq!(created["role"], "editor");
    assert_eq!(created["emailVerified"], true);
    assert_eq!(
        t.client().sign_in("new@example.com", PASSWORD).status(),
        200
    );

    let res = admin.post(
        "/api/auth/admin/create-user",
        json!({"email": "nopass@example.com", "name": "No Password"}),
    );
    assert_eq!(res.json()["user"]["role"], "user", "the default role");
    let id = res.json()["user"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.sql.count(&format!(
            r#"select count(*) from "account" where "userId" = '{id}'"#
        )),
        0,
        "no credential without a password"
    );

    admin
        .post(
            "/api/auth/admin/create-user",
            json!({"email": "new@example.com", "name": "Again"}),
        )
        .assert_error(400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
    admin
        .post(
            "/api/auth/admin/create-user",
            json!({"email": "not an address", "name": "X"}),
        )
        .assert_error(400, "INVALID_EMAIL");
    admin
        .post(
            "/api/auth/admin/create-user",
            json!({"email": "x@example.com", "name": "X", "data": {"favouriteColour": "red"}}),
        )
        .assert_error(400, "VALIDATION_ERROR");
    let banned = admin.post(
        "/api/auth/admin/create-user",
        json!({"email": "banned@example.com", "password": PASSWORD, "name": "B", "data": {"banned": true, "banReason": "imported ban"}}),
    );
    assert_eq!(banned.json()["user"]["banReason"], "imported ban");
    t.client()
        .sign_in("banned@example.com", PASSWORD)
        .assert_error(403, "BANNED_USER");
    user.post(
        "/api/auth/admin/create-user",
        json!({"email": "y@example.com", "name": "Y"}),
    )
    .assert_error(403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS");
}

#[test]
fn update_user_changes_fields_behind_their_permissions_and_a_ban_ends_sessions() {
    let t = TestApp::new();
    let (mut admin, mut user, id) = admin_and_user(&t);
    let update = |c: &mut Client<'_>, data| {
        c.post(
            "/api/auth/admin/update-user",
            json!({"userId": id, "data": data}),
        )
    };
    let res = update(
        &mut admin,
        json!({"name": "Renamed", "email": "Moved@Example.com", "role": ["a", "b"], "image": null}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    let got = res.json();
    assert_eq!(
        (
            got["name"].as_str(),
            got["email"].as_str(),
            got["role"].as_str()
        ),
        (Some("Renamed"), Some("moved@example.com"), Some("a,b")),
        "the bare user"
    );
    assert_eq!(
        user.session()["user"]["email"],
        "moved@example.com",
        "cached sessions see the change"
    );

    update(&mut admin, json!({})).assert_error(400, "NO_DATA_TO_UPDATE");
    update(&mut admin, json!({"password": "x"}))
        .assert_error(400, "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER");
    update(&mut admin, json!({"id": "x"})).assert_error(400, "USER_ID_CANNOT_BE_UPDATED");
    update(&mut admin, json!({"role": 5})).assert_error(400, "INVALID_ROLE_TYPE");
    update(&mut admin, json!({"email": "admin@example.com"}))
        .assert_error(400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
    update(&mut admin, json!({"shoeSize": 44})).assert_error(400, "VALIDATION_ERROR");
    update(&mut user, json!({"name": "Self-promoted"}))
        .assert_error(403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS");

    let res = update(
        &mut admin,
        json!({"banned": true, "banReason": "by update"}),
    );
    assert_eq!(res.json()["banned"], true);
    assert_eq!(
        user.session(),
        json!(null),
        "banning through update-user ends sessions too"
    );
    t.client()
        .sign_in("moved@example.com", PASSWORD)
        .assert_error(403, "BANNED_USER");
    let own = admin.session()["user"]["id"].clone();
    admin
        .post(
            "/api/auth/admin/update-user",
            json!({"userId": own, "data": {"banned": true}}),
        )
        .assert_error(400, "YOU_CANNOT_BAN_YOURSELF");
}

/// Ten users (`u0`…`u9`, created a second apart), every third one `editor` and every fourth
/// banned, beside the admin and the user of [`admin_and_user`].
fn crowd(t: &TestApp) {
    for i in 0..10 {
        let role = if i % 3 == 0 { "editor" } else { "user" };
        let banned = i % 4 == 0;
        t.sql.exec(&format!(
            r#"insert into "user" ("id","name","email","emailVerified","createdAt","updatedAt","role","banned") values ('u{i}','Name {i}','u{i}@crowd.example',{v},'2026-02-01T00:00:0{i}.000Z','2026-02-01T00:00:00.000Z','{role}',{b})"#,
            v = i % 2,
            b = banned as i32,
        ));
    }
}

fn listed(admin: &mut Client<'_>, query: &str) -> (Vec<String>, i64) {
    let res = admin.get(&format!("/api/auth/admin/list-users?{query}"));
    assert_eq!(res.status(), 200, "{query}: {}", res.json());
    let body = res.json();
    let ids = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .filter(|id| id.starts_with('u') && id.len() == 2)
        .collect();
    (ids, body["total"].as_i64().unwrap())
}

#[test]
fn list_users_searches_filters_sorts_and_pages_with_a_matching_total() {
    let t = TestApp::new();
    let (mut admin, mut user, _) = admin_and_user(&t);
    crowd(&t);
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // Oldest first by default; the admin and user signed up later than the crowd's dates.
    let (all, total) = listed(&mut admin, "");
    assert_eq!((all.len(), total), (10, 12));
    assert_eq!(all[0], "u0");

    assert_eq!(
        listed(&mut admin, "searchValue=U3@CROWD").0,
        ids(&["u3"]),
        "contains, case-insensitive"
    );
    assert_eq!(
        listed(&mut admin, "searchValue=u1&searchOperator=starts_with"),
        (ids(&["u1"]), 1)
    );
    assert_eq!(
        listed(&mut admin, "searchValue=Name%207&searchField=name"),
        (ids(&["u7"]), 1)
    );
    assert_eq!(
        listed(&mut admin, "searchValue=%25&searchField=name").1,
        0,
        "a % in the value matches a % only"
    );
    assert_eq!(
        listed(&mut admin, "searchValue=example&searchOperator=ends_with").1,
        10
    );

    assert_eq!(
        listed(&mut admin, "filterField=role&filterValue=editor"),
        (ids(&["u0", "u3", "u6", "u9"]), 4)
    );
    assert_eq!(
        listed(
            &mut admin,
            "filterField=role&filterValue=editor&filterOperator=ne"
        )
        .1,
        8
    );
    assert_eq!(
        listed(&mut admin, "filterField=banned&filterValue=true"),
        (ids(&["u0", "u4", "u8"]), 3)
    );
    assert_eq!(
        listed(&mut admin, "filterField=emailVerified&filterValue=false").1,
        7,
        "five of the crowd, and the two who signed up"
    );
    assert_eq!(
        listed(
            &mut admin,
            "filterField=id&filterValue=u1&filterValue=u2&filterOperator=in"
        )
        .0,
        ids(&["u1", "u2"])
    );
    assert_eq!(
        listed(
            &mut admin,
            "filterField=id&filterValue=u1,u2&filterOperator=not_in"
        )
        .1,
        10
    );
    assert_eq!(
        listed(
            &mut admin,
            "filterField=createdAt&filterValue=2026-02-01T00:00:08.000Z&filterOperator=gte"
        )
        .0,
        ids(&["u8", "u9"])
    );
    assert_eq!(
        listed(
            &mut admin,
            "filterField=createdAt&filterValue=2026-02-01T00:00:01.000Z&filterOperator=lt"
        )
        .0,
        ids(&["u0"])
    );
    assert_eq!(
        listed(
            &mut admin,
            "filterField=name&filterValue=Name%205&filterOperator=starts_with"
        )
        .0,
        ids(&["u5"])
    );

    let (page, total) = listed(&mut admin, "sortBy=createdAt&sortDirection=desc&limit=3&offset=2&filterField=email&filterValue=crowd&filterOperator=contains");
    assert_eq!((page, total), (ids(&["u7", "u6", "u5"]), 10));
    let body = admin
        .get("/api/auth/admin/list-users?limit=3&offset=2")
        .json();
    assert_eq!(
        (body["limit"].as_i64(), body["offset"].as_i64()),
        (Some(3), Some(2))
    );
    let body = admin.get("/api/auth/admin/list-users").json();
    assert!(body.get("limit").is_none() && body.get("offset").is_none());

    for bad in [
        "sortBy=password",
        "filterField=password&filterValue=x",
        "sortDirection=sideways",
        "limit=lots",
        "searchValue=a&searchOperator=regex",
    ] {
        admin
            .get(&format!("/api/auth/admin/list-users?{bad}"))
            .assert_error(400, "VALIDATION_ERROR");
    }
    user.get("/api/auth/admin/list-users")
        .assert_error(403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS");
}

/// The plan SQLite makes for a listing: its steps, as `explain query plan` names them.
fn query_plan(db: &Sqlite, query: portcullis::features::admin::listing::Query) -> String {
    let planned = portcullis::features::admin::listing::plan(&query).unwrap();
    let conn = db.0.borrow();
    let mut stmt = conn
        .prepare(&format!("explain query plan {}", planned.page.sql))
        .unwrap();
    let params: Vec<rusqlite::types::Value> = planned
        .page
        .params
        .iter()
        .map(|p| match p {
            portcullis::storage::Value::Null => rusqlite::types::Value::Null,
            portcullis::storage::Value::Integer(n) => rusqlite::types::Value::Integer(*n),
            portcullis::storage::Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
        })
        .collect();
    let steps: Vec<String> = stmt
        .query_map(rusqlite::params_from_iter(params), |row| {
            row.get::<_, String>(3)
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    steps.join(" | ")
}

#[test]
fn the_default_page_and_email_prefix_searches_read_indexes_not_the_whole_table() {
    use portcullis::features::admin::listing::Query;
    let db = Sqlite::migrated();
    let default = query_plan(&db, Query::default());
    assert!(
        default.contains("user_createdAt_id_idx") && !default.contains("TEMP B-TREE"),
        "{default}"
    );
    let prefix = query_plan(
        &db,
        Query {
            search_value: Some("ada".into()),
            search_operator: Some("starts_with".into()),
            ..Query::default()
        },
    );
    assert!(
        prefix.contains("USING INDEX") || prefix.contains("USING COVERING INDEX"),
        "{prefix}"
    );
}

#[test]
fn an_admin_impersonates_a_user_and_returns_to_their_own_session() {
    let t = TestApp::new();
    let (mut admin, mut user, id) = admin_and_user(&t);
    let admin_id = admin.session()["user"]["id"].clone();
    let res = admin.post("/api/auth/admin/impersonate-user", json!({"userId": id}));
    assert_eq!(res.status(), 200, "{}", res.json());
    let body = res.json();
    assert_eq!(body["user"]["id"], id.as_str());
    assert_eq!(body["session"]["impersonatedBy"], admin_id);
    let cookies = res.set_cookies().join("\n");
    assert!(cookies.contains("better-auth.admin_session="), "{cookies}");
    assert!(
        admin.cookie("better-auth.dont_remember").is_some(),
        "the impersonation cookie ends with the browser session"
    );

    // The admin's browser is now the user, for an hour at most.
    let now = admin.session();
    assert_eq!(now["user"]["id"], id.as_str());
    let expires =
        portcullis::time::parse_iso(now["session"]["expiresAt"].as_str().unwrap()).unwrap();
    assert!(expires <= t.clock.get() + 3_600_000);
    // The user does not see the impersonation among their sessions.
    let listed = user.get("/api/auth/list-sessions").json();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let back = admin.post("/api/auth/admin/stop-impersonating", json!({}));
    assert_eq!(back.status(), 200, "{}", back.json());
    assert_eq!(back.json()["user"]["id"], admin_id);
    assert_eq!(admin.session()["user"]["id"], admin_id);
    assert!(admin.cookie("better-auth.admin_session").is_none());
    assert_eq!(
        t.sql
            .count(r#"select count(*) from "session" where "impersonatedBy" is not null"#),
        0,
        "the impersonation session is gone"
    );
    admin
        .post("/api/auth/admin/stop-impersonating", json!({}))
        .assert_error_message(400, "You are not impersonating anyone");
}

#[test]
fn admins_cannot_be_impersonated_without_impersonate_admins_and_users_cannot_impersonate() {
    let t = TestApp::new();
    let (mut admin, mut user, id) = admin_and_user(&t);
    let mut second = t.client();
    let second_id = second.sign_up("second-admin@example.com", PASSWORD).json()["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.sql.exec(
        r#"update "user" set "role" = 'user,admin' where "email" = 'second-admin@example.com'"#,
    );
    admin
        .post(
            "/api/auth/admin/impersonate-user",
            json!({"userId": second_id}),
        )
        .assert_error(403, "YOU_CANNOT_IMPERSONATE_ADMINS");
    user.post(
        "/api/auth/admin/impersonate-user",
        json!({"userId": second_id}),
    )
    .assert_error(403, "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS");
    admin.post("/api/auth/admin/ban-user", json!({"userId": id}));
    admin
        .post("/api/auth/admin/impersonate-user", json!({"userId": id}))
        .assert_error(403, "BANNED_USER");
}

#[test]
fn custom_roles_grant_what_they_list_and_only_known_roles_can_be_given() {
    let t = TestApp::with_vars(&[(
        "ADMIN_ROLE_PERMISSIONS",
        r#"{"support": {"session": ["list", "revoke"]}, "auditor": {"user": ["list", "get"]}}"#,
    )]);
    let (mut admin, mut user, id) = admin_and_user(&t);
    admin
        .post(
            "/api/auth/admin/set-role",
            json!({"userId": id, "role": "wizard"}),
        )
        .assert_error(400, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE");
    let res = admin.post(
        "/api/auth/admin/set-role",
        json!({"userId": id, "role": ["user", "support"]}),
    );
    assert_eq!(res.json()["user"]["role"], "user,support");
    let ask = |c: &mut Client<'_>, permissions| {
        c.post(
            "/api/auth/admin/has-permission",
            json!({ "permissions": permissions }),
        )
        .json()["success"]
            .clone()
    };
    assert_eq!(ask(&mut user, json!({"session": ["list", "revoke"]})), true);
    assert_eq!(ask(&mut user, json!({"session": ["delete"]})), false);
    assert_eq!(ask(&mut user, json!({"user": ["list"]})), false);
    let own = user.session()["user"]["id"].clone();
    let listed = user.post("/api/auth/admin/list-user-sessions", json!({"userId": own}));
    assert_eq!(listed.status(), 200, "a support role lists sessions");
    user.post("/api/auth/admin/ban-user", json!({"userId": own}))
        .assert_error(403, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS");
}

#[test]
fn a_misspelt_custom_permission_is_a_configuration_error() {
    for bad in [
        r#"{"support": {"session": ["lsit"]}}"#,
        r#"{"support": {"sessions": ["list"]}}"#,
        r#"["support"]"#,
    ] {
        let t = TestApp::with_vars(&[("ADMIN_ROLE_PERMISSIONS", bad)]);
        let res = t.send(raw("GET", "/api/auth/ok", &[], b""));
        assert_eq!(res.status(), 500, "{bad}");
        assert!(
            t.logs
                .0
                .borrow()
                .iter()
                .any(|(_, l)| l.contains("ADMIN_ROLE_PERMISSIONS")),
            "{bad}"
        );
    }
}
