//! Members, roles, invitations and the audit log over HTTP: role changes felt on the next
//! request, nobody raising anyone above themselves, the last owner staying, single-use
//! invitations, and every route 404 for another centre.

use cubby_domain::Role;
use cubby_tests::{Call, Centre, Host, Reply, World};
use serde_json::{Value, json};

crate::on_both_hosts!(
    members_are_listed_and_read_in_their_centre_only,
    a_role_change_applies_to_the_next_request_with_the_same_token,
    nobody_acts_on_or_grants_more_than_they_hold,
    the_last_owner_stays,
    a_suspended_or_removed_member_is_signed_out_at_once,
    custom_roles_apply_and_a_change_to_one_applies_at_once,
    an_invitation_is_accepted_once_and_only_in_its_centre,
    an_existing_account_joins_with_its_own_password_only,
    a_pre_claimed_address_gives_its_inviter_nothing_in_another_centre,
    wrong_passwords_on_accepting_count_as_failed_sign_ins,
    expired_and_withdrawn_invitations_are_refused,
    the_audit_log_records_who_changed_what,
    the_context_draws_the_menu_from_permissions,
    every_team_route_is_404_for_another_centre,
);

fn member_path(centre: &Centre, role: Role) -> String {
    format!("/v1/members/{}", centre.member(role).membership_id)
}

async fn version_of(host: &impl Host, token: &str, path: &str) -> u64 {
    let reply = host.send(Call::get(path).bearer(token)).await;
    reply.expect(200);
    reply.json()["version"].as_u64().unwrap()
}

async fn patch(host: &impl Host, token: &str, path: &str, body: Value) -> Reply {
    let version = version_of(host, token, path).await;
    host.send(
        Call::patch(path)
            .bearer(token)
            .if_match(version)
            .json(&body),
    )
    .await
}

fn room(name: &str) -> Value {
    json!({ "name": name, "age_range": { "min_months": 12, "max_months": 24 }, "capacity": 12, "ratio": "1:4" })
}

async fn members_are_listed_and_read_in_their_centre_only(host: &impl Host, world: &World) {
    let listed = host
        .send(Call::get("/v1/members").bearer(&world.a.director))
        .await;
    listed.expect(200);
    let page = listed.json();
    assert_eq!(page["total"], 4);
    let emails: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["email"].as_str().unwrap())
        .collect();
    assert!(
        emails.iter().all(|e| e.ends_with("@centre-a.example")),
        "{emails:?}"
    );

    let teacher = host
        .send(Call::get(&member_path(&world.a, Role::Teacher)).bearer(&world.a.director))
        .await;
    teacher.expect(200);
    assert_eq!(teacher.json()["roles"], json!(["teacher"]));
    assert_eq!(teacher.json()["status"], "active");
    assert!(teacher.header("etag").is_some());

    let teachers = host
        .send(Call::get("/v1/members?role=teacher&status=active").bearer(&world.a.director))
        .await;
    assert_eq!(teachers.json()["total"], 1);
    for bad in ["status=gone", "role=nobody", "sort=name", "limit=0"] {
        host.send(Call::get(&format!("/v1/members?{bad}")).bearer(&world.a.director))
            .await
            .expect_error(400, "request.invalid_query");
    }
}

async fn a_role_change_applies_to_the_next_request_with_the_same_token(
    host: &impl Host,
    world: &World,
) {
    let teacher = &world.a.teacher;
    host.send(
        Call::post("/v1/rooms")
            .bearer(teacher)
            .json(&room("Before")),
    )
    .await
    .expect_error(403, "forbidden");
    let changed = patch(
        host,
        &world.a.director,
        &member_path(&world.a, Role::Teacher),
        json!({ "roles": ["teacher", "director"] }),
    )
    .await;
    changed.expect(200);
    assert_eq!(changed.json()["entitlements_version"], 2);
    host.send(Call::post("/v1/rooms").bearer(teacher).json(&room("After")))
        .await
        .expect(201);
    let context = host
        .send(Call::get("/v1/me/context").bearer(teacher))
        .await
        .json();
    assert_eq!(context["membership"]["entitlements_version"], 2);
    assert!(
        context["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("members:manage"))
    );

    // Taking a role away is felt at once too.
    patch(
        host,
        &world.a.director,
        &member_path(&world.a, Role::Teacher),
        json!({ "roles": ["teacher"] }),
    )
    .await
    .expect(200);
    host.send(Call::post("/v1/rooms").bearer(teacher).json(&room("Again")))
        .await
        .expect_error(403, "forbidden");

    // Entitlements gate their permissions.
    let context = host
        .send(Call::get("/v1/me/context").bearer(teacher))
        .await
        .json();
    assert!(
        context["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("messages:send"))
    );
    patch(
        host,
        &world.a.director,
        &member_path(&world.a, Role::Teacher),
        json!({ "entitlements": ["reports"] }),
    )
    .await
    .expect(200);
    let context = host
        .send(Call::get("/v1/me/context").bearer(teacher))
        .await
        .json();
    assert!(
        !context["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("messages:send"))
    );
    assert_eq!(context["membership"]["entitlements"], json!(["reports"]));
}

async fn nobody_acts_on_or_grants_more_than_they_hold(host: &impl Host, world: &World) {
    let director = &world.a.director;
    let teacher = member_path(&world.a, Role::Teacher);
    // Making someone an owner grants tenant:manage, which a director does not hold.
    patch(host, director, &teacher, json!({ "roles": ["owner"] }))
        .await
        .expect_error(403, "members.beyond_your_permissions");
    // Acting on the owner, who holds more: refused.
    patch(
        host,
        director,
        &member_path(&world.a, Role::Owner),
        json!({ "status": "suspended" }),
    )
    .await
    .expect_error(403, "members.beyond_your_permissions");
    // A custom role holding tenant:manage, or an invitation granting it: refused.
    host.send(
        Call::post("/v1/roles")
            .bearer(director)
            .json(&json!({ "name": "Boss", "permissions": ["tenant:manage"] })),
    )
    .await
    .expect_error(403, "roles.beyond_your_permissions");
    host.send(
        Call::post("/v1/invitations")
            .bearer(director)
            .json(&json!({ "email": "new.owner@example.com", "roles": ["owner"] })),
    )
    .await
    .expect_error(403, "members.beyond_your_permissions");
    // Nothing changed.
    let stored = host.send(Call::get(&teacher).bearer(director)).await.json();
    assert_eq!(stored["roles"], json!(["teacher"]));
    // Values that are not roles, entitlements or statuses are 422 with every field.
    let reply = patch(
        host,
        director,
        &teacher,
        json!({ "roles": ["wizard"], "entitlements": ["teleport"], "status": "gone" }),
    )
    .await;
    reply.expect_error(422, "validation.failed");
    assert_eq!(
        reply.json()["details"]["fields"].as_array().unwrap().len(),
        3
    );
    patch(host, director, &teacher, json!({ "status": "removed" }))
        .await
        .expect_error(422, "validation.failed");
    let ghost_role = "role_01h455vb4pex5vsknk084sn02q";
    patch(host, director, &teacher, json!({ "roles": [ghost_role] }))
        .await
        .expect_error(422, "validation.failed");
}

async fn the_last_owner_stays(host: &impl Host, world: &World) {
    let owner = &world.a.owner;
    let me = member_path(&world.a, Role::Owner);
    patch(host, owner, &me, json!({ "roles": ["director"] }))
        .await
        .expect_error(409, "members.last_owner");
    patch(host, owner, &me, json!({ "status": "suspended" }))
        .await
        .expect_error(409, "members.last_owner");
    let version = version_of(host, owner, &me).await;
    host.send(Call::delete(&me).bearer(owner).if_match(version))
        .await
        .expect_error(409, "members.last_owner");

    // With a second owner, the first may step down.
    patch(
        host,
        owner,
        &member_path(&world.a, Role::Director),
        json!({ "roles": ["owner"] }),
    )
    .await
    .expect(200);
    patch(host, owner, &me, json!({ "roles": ["director"] }))
        .await
        .expect(200);
    // ...and the second is now the last.
    let second = member_path(&world.a, Role::Director);
    let version = version_of(host, &world.a.director, &second).await;
    host.send(
        Call::delete(&second)
            .bearer(&world.a.director)
            .if_match(version),
    )
    .await
    .expect_error(409, "members.last_owner");
}

async fn a_suspended_or_removed_member_is_signed_out_at_once(host: &impl Host, world: &World) {
    let director = &world.a.director;
    let teacher = &world.a.teacher;
    let path = member_path(&world.a, Role::Teacher);
    host.send(Call::get("/v1/rooms").bearer(teacher))
        .await
        .expect(200);
    patch(host, director, &path, json!({ "status": "suspended" }))
        .await
        .expect(200);
    host.send(Call::get("/v1/rooms").bearer(teacher))
        .await
        .expect_error(401, "auth.invalid_token");
    patch(host, director, &path, json!({ "status": "active" }))
        .await
        .expect(200);
    host.send(Call::get("/v1/rooms").bearer(teacher))
        .await
        .expect(200);

    // The teacher has a session open with two access tokens outstanding (one minted at sign-in,
    // one by a refresh): removing them ends it whole.
    let member = world.a.member(Role::Teacher);
    let login = json!({ "tenant_code": world.a.tenant.code().as_str(), "email": member.email, "password": member.password });
    let signed_in = host.send(Call::post("/v1/auth/login").json(&login)).await;
    signed_in.expect(200);
    let signed_in = signed_in.json();
    let refreshed = host
        .send(
            Call::post("/v1/auth/refresh")
                .json(&json!({ "refresh_token": signed_in["refresh_token"] })),
        )
        .await;
    refreshed.expect(200);
    let refreshed = refreshed.json();
    let accesses = [&signed_in, &refreshed].map(|s| s["access_token"].as_str().unwrap().to_owned());
    for access in &accesses {
        host.send(Call::get("/v1/rooms").bearer(access))
            .await
            .expect(200);
    }

    let version = version_of(host, director, &path).await;
    let removed = host
        .send(Call::delete(&path).bearer(director).if_match(version))
        .await;
    removed.expect(200);
    assert_eq!(removed.json()["status"], "removed");
    host.send(Call::get("/v1/rooms").bearer(teacher))
        .await
        .expect_error(401, "auth.invalid_token");
    for access in &accesses {
        host.send(Call::get("/v1/rooms").bearer(access))
            .await
            .expect_error(401, "auth.invalid_token");
    }
    host.send(
        Call::post("/v1/auth/refresh")
            .json(&json!({ "refresh_token": refreshed["refresh_token"] })),
    )
    .await
    .expect_error(401, "auth.invalid_token");
    let listed = host
        .send(Call::get("/v1/members").bearer(director))
        .await
        .json();
    assert_eq!(listed["total"], 3, "removed members leave the default list");
    let with_removed = host
        .send(Call::get("/v1/members?status=removed").bearer(director))
        .await
        .json();
    assert_eq!(with_removed["total"], 1);
    host.send(Call::post("/v1/auth/login").json(&login))
        .await
        .expect_error(401, "auth.invalid_credentials");

    // Invited back, the same membership is active again, but the ended session stays ended.
    let sent = invite(host, director, &member.email, json!(["teacher"])).await;
    accept(
        host,
        &world.a,
        sent["token"].as_str().unwrap(),
        Some(&member.password),
    )
    .await
    .expect(200);
    for access in &accesses {
        host.send(Call::get("/v1/rooms").bearer(access))
            .await
            .expect_error(401, "auth.invalid_token");
    }
    host.send(
        Call::post("/v1/auth/refresh")
            .json(&json!({ "refresh_token": refreshed["refresh_token"] })),
    )
    .await
    .expect_error(401, "auth.invalid_token");
}

async fn custom_roles_apply_and_a_change_to_one_applies_at_once(host: &impl Host, world: &World) {
    let director = &world.a.director;
    let created = host
        .send(
            Call::post("/v1/roles").bearer(director).json(
                &json!({ "name": "Room lead", "permissions": ["rooms:read", "rooms:write"] }),
            ),
        )
        .await;
    created.expect(201);
    let role = created.json();
    let role_id = role["id"].as_str().unwrap().to_owned();
    assert!(role_id.starts_with("role_"));
    assert_eq!(role["builtin"], false);
    host.send(
        Call::post("/v1/roles")
            .bearer(director)
            .json(&json!({ "name": "ROOM LEAD", "permissions": ["rooms:read"] })),
    )
    .await
    .expect_error(409, "role.name_taken");
    host.send(
        Call::post("/v1/roles")
            .bearer(director)
            .json(&json!({ "name": "Teacher", "permissions": ["rooms:read"] })),
    )
    .await
    .expect_error(422, "validation.failed");

    let listed = host
        .send(Call::get("/v1/roles").bearer(director))
        .await
        .json();
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["owner", "director", "teacher", "guardian", "Room lead"]
    );

    // The guardian, holding the custom role, may now manage rooms...
    let guardian = &world.a.guardian;
    host.send(Call::get("/v1/rooms").bearer(guardian))
        .await
        .expect_error(403, "forbidden");
    patch(
        host,
        director,
        &member_path(&world.a, Role::Guardian),
        json!({ "roles": ["guardian", role_id] }),
    )
    .await
    .expect(200);
    host.send(Call::post("/v1/rooms").bearer(guardian).json(&room("Led")))
        .await
        .expect(201);
    // ...until the role loses rooms:write: the next request with the same token is refused.
    let path = format!("/v1/roles/{role_id}");
    patch(
        host,
        director,
        &path,
        json!({ "permissions": ["rooms:read"] }),
    )
    .await
    .expect(200);
    host.send(
        Call::post("/v1/rooms")
            .bearer(guardian)
            .json(&room("Refused")),
    )
    .await
    .expect_error(403, "forbidden");
    host.send(Call::get("/v1/rooms").bearer(guardian))
        .await
        .expect(200);

    // A role in use cannot be deleted; once nobody holds it, it can.
    let version = version_of(host, director, &path).await;
    host.send(Call::delete(&path).bearer(director).if_match(version))
        .await
        .expect_error(409, "role.in_use");
    patch(
        host,
        director,
        &member_path(&world.a, Role::Guardian),
        json!({ "roles": ["guardian"] }),
    )
    .await
    .expect(200);
    host.send(Call::delete(&path).bearer(director).if_match(version))
        .await
        .expect(204);
    host.send(Call::get(&path).bearer(director))
        .await
        .expect_error(404, "not_found");
}

async fn invite(host: &impl Host, token: &str, email: &str, roles: Value) -> Value {
    let reply = host
        .send(
            Call::post("/v1/invitations")
                .bearer(token)
                .json(&json!({ "email": email, "roles": roles })),
        )
        .await;
    reply.expect(201);
    reply.json()
}

fn accept_body(centre: &Centre, token: &str, password: Option<&str>) -> Value {
    let mut body = json!({ "tenant_code": centre.tenant.code().as_str(), "token": token });
    if let Some(password) = password {
        body["password"] = json!(password);
    }
    body
}

async fn an_invitation_is_accepted_once_and_only_in_its_centre(host: &impl Host, world: &World) {
    let sent = invite(
        host,
        &world.a.director,
        "new.teacher@example.com",
        json!(["teacher"]),
    )
    .await;
    let token = sent["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("inv_"));
    assert_eq!(sent["status"], "pending");
    let invited = host
        .send(
            Call::get(&format!(
                "/v1/members/{}",
                sent["membership_id"].as_str().unwrap()
            ))
            .bearer(&world.a.director),
        )
        .await;
    assert_eq!(invited.json()["status"], "invited");
    // The token is shown once.
    let read = host
        .send(
            Call::get(&format!("/v1/invitations/{}", sent["id"].as_str().unwrap()))
                .bearer(&world.a.director),
        )
        .await;
    assert!(read.json().get("token").is_none());
    // The same address again: already invited.
    host.send(
        Call::post("/v1/invitations")
            .bearer(&world.a.director)
            .json(&json!({ "email": "new.teacher@example.com", "roles": ["teacher"] })),
    )
    .await
    .expect_error(409, "invitations.already_member");

    // Another centre's code, a forged secret, a bare id: not found.
    host.send(Call::post("/v1/invitations/accept").json(&accept_body(
        &world.b,
        &token,
        Some("a good password"),
    )))
    .await
    .expect_error(404, "invitation.not_found");
    let (id, _) = token.split_once('.').unwrap();
    for forged in [
        format!("{id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        id.to_owned(),
        "nonsense".to_owned(),
    ] {
        host.send(Call::post("/v1/invitations/accept").json(&accept_body(
            &world.a,
            &forged,
            Some("a good password"),
        )))
        .await
        .expect_error(404, "invitation.not_found");
    }
    // A new user must choose a password.
    host.send(Call::post("/v1/invitations/accept").json(&accept_body(
        &world.a,
        &token,
        Some("short"),
    )))
    .await
    .expect_error(422, "validation.failed");

    let accepted = host
        .send(Call::post("/v1/invitations/accept").json(&accept_body(
            &world.a,
            &token,
            Some("a good password"),
        )))
        .await;
    accepted.expect(200);
    let session = accepted.json();
    host.send(Call::get("/v1/rooms").bearer(session["access_token"].as_str().unwrap()))
        .await
        .expect(200);
    host.send(Call::post("/v1/invitations/accept").json(&accept_body(
        &world.a,
        &token,
        Some("a good password"),
    )))
    .await
    .expect_error(410, "invitation.used");
    let login = json!({ "tenant_code": world.a.tenant.code().as_str(), "email": "new.teacher@example.com", "password": "a good password" });
    host.send(Call::post("/v1/auth/login").json(&login))
        .await
        .expect(200);
    let joined = host
        .send(
            Call::get(&format!(
                "/v1/members/{}",
                sent["membership_id"].as_str().unwrap()
            ))
            .bearer(&world.a.director),
        )
        .await;
    assert_eq!(joined.json()["status"], "active");
}

async fn accept(host: &impl Host, centre: &Centre, token: &str, password: Option<&str>) -> Reply {
    host.send(Call::post("/v1/invitations/accept").json(&accept_body(centre, token, password)))
        .await
}

async fn login(host: &impl Host, centre: &Centre, email: &str, password: &str) -> Reply {
    let body = json!({ "tenant_code": centre.tenant.code().as_str(), "email": email, "password": password });
    host.send(Call::post("/v1/auth/login").json(&body)).await
}

/// Asserts that the invitation `sent` by `centre`'s director is still pending.
async fn assert_pending(host: &impl Host, centre: &Centre, sent: &Value) {
    let path = format!("/v1/invitations/{}", sent["id"].as_str().unwrap());
    let read = host.send(Call::get(&path).bearer(&centre.director)).await;
    read.expect(200);
    assert_eq!(
        read.json()["status"],
        "pending",
        "a refusal used the invitation"
    );
}

async fn an_existing_account_joins_with_its_own_password_only(host: &impl Host, world: &World) {
    // A member of centre B is invited to centre A: the token alone is not enough.
    let existing = world.b.member(Role::Teacher);
    let sent = invite(
        host,
        &world.a.director,
        &existing.email,
        json!(["guardian"]),
    )
    .await;
    let token = sent["token"].as_str().unwrap();
    accept(host, &world.a, token, None)
        .await
        .expect_field_error("invitation.password_required");
    let wrong = accept(host, &world.a, token, Some("not the right password")).await;
    wrong.expect_error(401, "invitation.wrong_password");
    assert_eq!(wrong.header("www-authenticate"), Some("Bearer"));
    assert_pending(host, &world.a, &sent).await;

    let accepted = accept(host, &world.a, token, Some(&existing.password)).await;
    accepted.expect(200);
    assert_eq!(
        accepted.json()["tenant"]["code"],
        world.a.tenant.code().as_str()
    );
    // The password is unchanged, and now opens both centres.
    for centre in [&world.b, &world.a] {
        login(host, centre, &existing.email, &existing.password)
            .await
            .expect(200);
    }
    accept(host, &world.a, token, Some(&existing.password))
        .await
        .expect_error(410, "invitation.used");
}

async fn a_pre_claimed_address_gives_its_inviter_nothing_in_another_centre(
    host: &impl Host,
    world: &World,
) {
    // A director of centre B invites an address Cubby does not know, and accepts for it.
    let address = "pre.claimed@example.com";
    let inviters = "the inviter's own choice";
    let claimed = invite(host, &world.b.director, address, json!(["guardian"])).await;
    accept(
        host,
        &world.b,
        claimed["token"].as_str().unwrap(),
        Some(inviters),
    )
    .await
    .expect(200);
    // Centre A invites the same address, and hands its token to the real person, who does
    // not know the password the inviter chose: neither no password nor theirs joins.
    let sent = invite(host, &world.a.director, address, json!(["teacher"])).await;
    let token = sent["token"].as_str().unwrap();
    accept(host, &world.a, token, None)
        .await
        .expect_field_error("invitation.password_required");
    accept(host, &world.a, token, Some("the real person's password"))
        .await
        .expect_error(401, "invitation.wrong_password");
    assert_pending(host, &world.a, &sent).await;
    // So the inviter's password opens centre B only, never centre A.
    login(host, &world.a, address, inviters)
        .await
        .expect_error(401, "auth.invalid_credentials");
    login(host, &world.b, address, inviters).await.expect(200);
}

async fn wrong_passwords_on_accepting_count_as_failed_sign_ins(host: &impl Host, world: &World) {
    let existing = world.b.member(Role::Guardian);
    let sent = invite(
        host,
        &world.a.director,
        &existing.email,
        json!(["guardian"]),
    )
    .await;
    let token = sent["token"].as_str().unwrap();
    // The world throttles an account after 5 failures.
    for attempt in 0..5 {
        let guess = format!("guess number {attempt}");
        accept(host, &world.a, token, Some(&guess))
            .await
            .expect_error(401, "invitation.wrong_password");
    }
    let throttled = accept(host, &world.a, token, Some(&existing.password)).await;
    throttled.expect_error(429, "auth.throttled");
    assert!(throttled.header("retry-after").is_some());
    login(host, &world.b, &existing.email, &existing.password)
        .await
        .expect_error(429, "auth.throttled");
    assert_pending(host, &world.a, &sent).await;
}

async fn expired_and_withdrawn_invitations_are_refused(host: &impl Host, world: &World) {
    let expiring = host
        .send(Call::post("/v1/invitations").bearer(&world.a.director).json(&json!({ "email": "late@example.com", "roles": ["guardian"], "expires_in_hours": 1 })))
        .await;
    expiring.expect(201);
    let expiring = expiring.json();
    let withdrawn = invite(
        host,
        &world.a.director,
        "withdrawn@example.com",
        json!(["guardian"]),
    )
    .await;
    let path = format!("/v1/invitations/{}", withdrawn["id"].as_str().unwrap());
    let revoked = host
        .send(Call::delete(&path).bearer(&world.a.director).if_match(1))
        .await;
    revoked.expect(200);
    assert_eq!(revoked.json()["status"], "revoked");
    host.send(Call::delete(&path).bearer(&world.a.director).if_match(2))
        .await
        .expect_error(409, "invitations.not_pending");
    host.send(Call::post("/v1/invitations/accept").json(&accept_body(
        &world.a,
        withdrawn["token"].as_str().unwrap(),
        Some("a good password"),
    )))
    .await
    .expect_error(410, "invitation.revoked");

    for hours in [0, 721] {
        host.send(Call::post("/v1/invitations").bearer(&world.a.director).json(&json!({ "email": "x@example.com", "roles": ["guardian"], "expires_in_hours": hours })))
            .await
            .expect_error(422, "validation.failed");
    }

    world.clock.advance(time::Duration::hours(2));
    host.send(Call::post("/v1/invitations/accept").json(&accept_body(
        &world.a,
        expiring["token"].as_str().unwrap(),
        Some("a good password"),
    )))
    .await
    .expect_error(410, "invitation.expired");
}

async fn the_audit_log_records_who_changed_what(host: &impl Host, world: &World) {
    let director = &world.a.director;
    patch(
        host,
        director,
        &member_path(&world.a, Role::Teacher),
        json!({ "roles": ["teacher", "director"] }),
    )
    .await
    .expect(200);
    host.send(
        Call::post("/v1/roles")
            .bearer(director)
            .json(&json!({ "name": "Cook", "permissions": ["rooms:read"] })),
    )
    .await
    .expect(201);
    invite(host, director, "someone@example.com", json!(["guardian"])).await;

    let log = host.send(Call::get("/v1/audit").bearer(director)).await;
    log.expect(200);
    let actions: Vec<String> = log.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    for expected in ["members.roles_changed", "roles.created", "members.invited"] {
        assert!(
            actions.contains(&expected.to_owned()),
            "{expected} missing from {actions:?}"
        );
    }
    let changed = host
        .send(Call::get("/v1/audit?action=members.roles_changed").bearer(director))
        .await
        .json();
    assert_eq!(changed["total"], 1);
    let event = &changed["items"][0];
    assert_eq!(
        event["actor"],
        world.a.member(Role::Director).user_id.to_string()
    );
    assert_eq!(
        event["target"],
        world.a.member(Role::Teacher).membership_id.to_string()
    );
    assert_eq!(
        event["details"],
        json!({ "from": "teacher", "to": "teacher,director" })
    );
    let by_actor = host
        .send(
            Call::get(&format!(
                "/v1/audit?actor={}",
                world.a.member(Role::Director).user_id
            ))
            .bearer(director),
        )
        .await
        .json();
    assert!(by_actor["total"].as_u64().unwrap() >= 3);
    let future = host
        .send(Call::get("/v1/audit?from=2999-01-01T00:00:00Z").bearer(director))
        .await
        .json();
    assert_eq!(future["total"], 0);
    for bad in ["action=members.exploded", "from=yesterday"] {
        host.send(Call::get(&format!("/v1/audit?{bad}")).bearer(director))
            .await
            .expect_error(400, "request.invalid_query");
    }
    let elsewhere = host
        .send(Call::get("/v1/audit?action=roles.created").bearer(&world.b.director))
        .await
        .json();
    assert_eq!(elsewhere["total"], 0);
}

async fn the_context_draws_the_menu_from_permissions(host: &impl Host, world: &World) {
    let director = host
        .send(Call::get("/v1/me/context").bearer(&world.a.director))
        .await
        .json();
    assert_eq!(director["navigation"]["version"], 1);
    let menu: Vec<&str> = director["navigation"]["menu"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        menu,
        [
            "rooms",
            "children",
            "attendance",
            "ratios",
            "messages",
            "staff",
            "members",
            "roles",
            "invitations",
            "audit"
        ]
    );
    assert!(
        director["navigation"]["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("members.invite"))
    );
    assert_eq!(
        director["membership"]["entitlements"],
        json!(["messaging", "reports", "billing", "imports"])
    );
    assert_eq!(director["membership"]["entitlements_version"], 1);
    assert!(
        !director["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("tenant:manage"))
    );

    let guardian = host
        .send(Call::get("/v1/me/context").bearer(&world.a.guardian))
        .await
        .json();
    let ids = |menu: &serde_json::Value| -> Vec<String> {
        menu.as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(&guardian["navigation"]["menu"]),
        ["children", "attendance", "messages"]
    );
    assert_eq!(guardian["navigation"]["actions"], json!(["messages.send"]));
    let teacher = host
        .send(Call::get("/v1/me/context").bearer(&world.a.teacher))
        .await
        .json();
    let menu: Vec<&str> = teacher["navigation"]["menu"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        menu,
        [
            "rooms",
            "children",
            "attendance",
            "ratios",
            "messages",
            "staff"
        ]
    );
}

async fn every_team_route_is_404_for_another_centre(host: &impl Host, world: &World) {
    let role = host
        .send(
            Call::post("/v1/roles")
                .bearer(&world.a.director)
                .json(&json!({ "name": "Cook", "permissions": ["rooms:read"] })),
        )
        .await
        .json();
    let sent = invite(
        host,
        &world.a.director,
        "only.for.a@example.com",
        json!(["guardian"]),
    )
    .await;
    let intruder = &world.b.director;
    let member = member_path(&world.a, Role::Teacher);
    let role_path = format!("/v1/roles/{}", role["id"].as_str().unwrap());
    let invitation = format!("/v1/invitations/{}", sent["id"].as_str().unwrap());
    for call in [
        Call::get(&member),
        Call::patch(&member)
            .if_match(1)
            .json(&json!({ "roles": ["guardian"] })),
        Call::delete(&member).if_match(1),
        Call::get(&role_path),
        Call::patch(&role_path)
            .if_match(1)
            .json(&json!({ "name": "Mine" })),
        Call::delete(&role_path).if_match(1),
        Call::get(&invitation),
        Call::delete(&invitation).if_match(1),
    ] {
        host.send(call.bearer(intruder))
            .await
            .expect_error(404, "not_found");
    }
    let members = host
        .send(Call::get("/v1/members?status=invited,active,suspended,removed").bearer(intruder))
        .await
        .json();
    assert_eq!(members["total"], 4);
    let roles = host
        .send(Call::get("/v1/roles").bearer(intruder))
        .await
        .json();
    assert_eq!(roles["total"], 4, "only the built-in roles");
    let invitations = host
        .send(Call::get("/v1/invitations").bearer(intruder))
        .await
        .json();
    assert_eq!(invitations["total"], 0);
    // Centre A's things are unchanged.
    let teacher = host
        .send(Call::get(&member).bearer(&world.a.director))
        .await
        .json();
    assert_eq!(teacher["roles"], json!(["teacher"]));
    assert_eq!(teacher["version"], 1);
}
