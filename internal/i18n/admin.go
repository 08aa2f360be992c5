package i18n

// adminTexts: the admin API, the secret-scanning route and the service layer
// behind them (internal/admin, internal/service): operators read these.
var adminTexts = map[Key]Text{
	"admin.no_admin_route": {
		"No admin route {method} {path}.",
		"没有管理路由 {method} {path}。"},
	"admin.admin_routes_live_under_admin.hint": {
		"Admin routes live under /admin/v1/ (keys, logs, projects).",
		"管理路由都在 /admin/v1/ 之下（keys、logs、projects）。"},
	"admin.api_keys_do_not_authenticate": {
		"API keys do not authenticate the admin API.",
		"API 密钥不能用于管理 API 的认证。"},
	"admin.use_keygate_admin_token_or.hint": {
		"Use KEYGATE_ADMIN_TOKEN or a member's personal access token (kg_pat_…).",
		"请使用 KEYGATE_ADMIN_TOKEN 或成员的个人访问令牌（kg_pat_…）。"},
	"admin.the_member_account_is_disabled": {
		"The member account {email} is disabled.",
		"成员账户 {email} 已被停用。"},
	"admin.ask_an_owner_or_admin.hint": {
		"Ask an owner or admin of the gateway to enable it (PATCH /admin/v1/members/<id> {\"disabled\": false}).",
		"请网关的所有者或管理员启用它（PATCH /admin/v1/members/<id> {\"disabled\": false}）。"},
	"admin.the_gateway_cannot_check_admin": {
		"The gateway cannot check admin credentials right now.",
		"网关暂时无法核对管理凭据。"},
	"admin.retry_shortly.hint": {
		"Retry shortly.",
		"请稍后重试。"},
	"admin.the_personal_access_token_of": {
		"The personal access token {tok} of {email} was disabled: a secret-scanning report found it in public.",
		"{email} 的个人访问令牌 {tok} 已被停用：密钥扫描报告在公开场合发现了它。"},
	"admin.ask_an_owner_or_admin.hint2": {
		"Ask an owner or admin for a new token (POST /admin/v1/members/{id}/token); GET /admin/v1/audit?action=token.leaked shows where it was found.",
		"请向所有者或管理员申请新令牌（POST /admin/v1/members/{id}/token）；GET /admin/v1/audit?action=token.leaked 会显示它是在哪里被发现的。"},
	"admin.the_admin_token_is_not": {
		"The admin token is not valid for this gateway.",
		"该管理令牌对本网关无效。"},
	"admin.use_the_keygate_admin_token.hint": {
		"Use the KEYGATE_ADMIN_TOKEN the gateway was started with, or the owner token it printed on first start.",
		"请使用网关启动时的 KEYGATE_ADMIN_TOKEN，或首次启动时打印的所有者令牌。"},
	"admin.the_request_body_is_not": {
		"The request body is not valid: {json_err}.",
		"请求体无效：{json_err}。"},
	"admin.send_a_json_object_with.hint": {
		"Send a JSON object with the documented fields.",
		"请发送带有文档所列字段的 JSON 对象。"},
	"admin.project_is_required": {
		"\"project\" is required.",
		"\"project\" 是必填项。"},
	"admin.name_the_project_the_key.hint": {
		"Name the project the key belongs to (GET /admin/v1/projects lists them).",
		"请写明密钥所属的项目（GET /admin/v1/projects 会列出项目）。"},
	"admin.group_does_not_exist": {
		"Group {group} does not exist.",
		"分组 {group} 不存在。"},
	"admin.declare_it_under_groups_in.hint": {
		"Declare it under groups: in KEYGATE_CONFIG.",
		"请在 KEYGATE_CONFIG 的 groups: 下声明它。"},
	"admin.env_is_not_valid": {
		"env {env} is not valid.",
		"env {env} 无效。"},
	"admin.use_live_or_test.hint": {
		"Use \"live\" or \"test\".",
		"请使用 \"live\" 或 \"test\"。"},
	"admin.allowed_ips": {
		"allowed_ips: {value}.",
		"allowed_ips：{value}。"},
	"admin.use_cidrs_such_as_10.hint": {
		"Use CIDRs such as 10.0.0.0/8 or 2001:db8::/32.",
		"请使用 CIDR，例如 10.0.0.0/8 或 2001:db8::/32。"},
	"admin.budget_needs_limit_usd_0": {
		"budget needs limit_usd ≥ 0 and period daily, monthly or total.",
		"budget 需要 limit_usd ≥ 0，且 period 为 daily、monthly 或 total。"},
	"admin.rpm_and_tpm_must_not": {
		"rpm and tpm must not be negative.",
		"rpm 和 tpm 不能为负数。"},
	"admin.concurrency_must_not_be_negative": {
		"concurrency must not be negative.",
		"concurrency 不能为负数。"},
	"admin.0_uses_the_group_s.hint": {
		"0 uses the group's default; a positive number caps the key's calls in flight.",
		"0 表示使用分组的默认值；正数会限制该密钥同时进行的调用数。"},
	"admin.no_key_with_id": {
		"No key with id {id}.",
		"没有 ID 为 {id} 的密钥。"},
	"admin.get_admin_v1_keys_lists.hint": {
		"GET /admin/v1/keys lists key ids.",
		"GET /admin/v1/keys 会列出密钥 ID。"},
	"admin.is_not_an_rfc_3339": {
		"{name}={value} is not an RFC 3339 time.",
		"{name}={value} 不是 RFC 3339 时间。"},
	"admin.use_a_time_like_2026.hint": {
		"Use a time like 2026-01-02T15:04:05Z.",
		"请使用形如 2026-01-02T15:04:05Z 的时间。"},
	"admin.status_is_not_a_number": {
		"status={value} is not a number.",
		"status={value} 不是数字。"},
	"admin.use_an_http_status_such.hint": {
		"Use an HTTP status such as 200 or 401.",
		"请使用 HTTP 状态码，例如 200 或 401。"},
	"admin.limit_is_not_a_positive": {
		"limit={value} is not a positive number.",
		"limit={value} 不是正数。"},
	"admin.use_1_to_1000.hint": {
		"Use 1 to 1000.",
		"请使用 1 到 1000。"},
	"admin.has_role_which_may_not": {
		"{actor} has role {role}, which may not {value}.",
		"{actor} 的角色是 {role}，无权执行：{value}。"},
	"admin.ask_an_owner_or_admin.hint3": {
		"Ask an owner or admin of the gateway to do this, or to give you a role that may (PATCH /admin/v1/members/<id>).",
		"请网关的所有者或管理员来执行，或给你一个有权执行的角色（PATCH /admin/v1/members/<id>）。"},
	"admin.project_does_not_exist": {
		"Project {name} does not exist.",
		"项目 {name} 不存在。"},
	"admin.get_admin_v1_projects_lists.hint": {
		"GET /admin/v1/projects lists the projects you can see; create one with POST /admin/v1/projects or under projects: in KEYGATE_CONFIG.",
		"GET /admin/v1/projects 会列出你能看到的项目；可用 POST /admin/v1/projects 或在 KEYGATE_CONFIG 的 projects: 下创建项目。"},
	"admin.no_member_with_id": {
		"No member with id {id}.",
		"没有 ID 为 {id} 的成员。"},
	"admin.get_admin_v1_members_lists.hint": {
		"GET /admin/v1/members lists member ids.",
		"GET /admin/v1/members 会列出成员 ID。"},
	"admin.no_request_in_this_gateway": {
		"No request {id} in this gateway's request log.",
		"本网关的请求日志中没有请求 {id}。"},
	"admin.rows_are_written_within_a.hint": {
		"Rows are written within a second or two of the answer; check that the id came from this gateway (not from the upstream provider) and retry shortly. Admin API calls are not in the request log.",
		"日志行会在应答后一两秒内写入；请确认该 ID 来自本网关（而不是上游服务商），并稍后重试。管理 API 的调用不在请求日志中。"},
	"admin.no_channel_is_named": {
		"No channel is named {name}.",
		"没有名为 {name} 的渠道。"},
	"admin.get_admin_v1_channels_lists.hint": {
		"GET /admin/v1/channels lists the channels.",
		"GET /admin/v1/channels 会列出渠道。"},
	"admin.no_model_is_declared_as": {
		"No model is declared as {name}.",
		"没有声明为 {name} 的模型。"},
	"admin.get_admin_v1_models_lists.hint": {
		"GET /admin/v1/models lists the models; a model only a channel names has no record to change: declare it with POST /admin/v1/models.",
		"GET /admin/v1/models 会列出模型；只在渠道中出现的模型没有可修改的记录：请用 POST /admin/v1/models 声明它。"},
	"admin.set_api_key_or_api": {
		"Set api_key or api_key_env, not both.",
		"请设置 api_key 或 api_key_env，不要同时设置两者。"},
	"admin.api_key_is_sealed_in.hint": {
		"api_key is sealed in the database; api_key_env names a variable the gateway reads.",
		"api_key 会加密保存在数据库中；api_key_env 指定网关读取的环境变量名。"},
	"admin.this_gateway_has_no_keygate": {
		"This gateway has no KEYGATE_SECRET_KEY, so it cannot store a channel credential.",
		"本网关没有 KEYGATE_SECRET_KEY，因此无法保存渠道凭据。"},
	"admin.set_keygate_secret_key_or.hint": {
		"Set KEYGATE_SECRET_KEY, or give the credential as api_key_env (a variable the gateway reads).",
		"请设置 KEYGATE_SECRET_KEY，或以 api_key_env（网关读取的环境变量）提供凭据。"},
	"admin.the_credential_could_not_be": {
		"The credential could not be sealed.",
		"无法加密该凭据。"},
	"admin.channel_type_is_not_supported": {
		"Channel type {type} is not supported.",
		"不支持渠道类型 {type}。"},
	"admin.use_one_of.hint": {
		"Use one of: {channel_types}.",
		"请使用以下之一：{channel_types}。"},
	"admin.base_url_is_not_an": {
		"base_url {base_url} is not an http:// or https:// URL.",
		"base_url {base_url} 不是 http:// 或 https:// URL。"},
	"admin.give_the_upstream_s_api.hint": {
		"Give the upstream's API root, e.g. https://api.openai.com/v1.",
		"请给出上游的 API 根地址，例如 https://api.openai.com/v1。"},
	"admin.in_keygate_config": {
		"{value} (in KEYGATE_CONFIG)",
		"{value}（在 KEYGATE_CONFIG 中）"},
	"admin.give_the_upstream_s_api.hint2": {
		"Give the upstream's API root; local model servers on loopback or private addresses are fine.",
		"请给出上游的 API 根地址；回环地址或内网地址上的本地模型服务器是可以的。"},
	"admin.base_url_must_not_carry": {
		"base_url must not carry credentials or a query.",
		"base_url 中不能带凭据或查询字符串。"},
	"admin.give_the_credential_as_api.hint": {
		"Give the credential as api_key or api_key_env; an azure channel's version as api_version.",
		"凭据请通过 api_key 或 api_key_env 提供；azure 渠道的版本请通过 api_version 提供。"},
	"admin.models_is_empty": {
		"models is empty.",
		"models 为空。"},
	"admin.list_the_models_this_channel.hint": {
		"List the models this channel serves.",
		"请列出该渠道提供的模型。"},
	"admin.is_not_a_model_name": {
		"{value} is not a model name.",
		"{value} 不是模型名称。"},
	"admin.list_the_models_by_name.hint": {
		"List the models by name.",
		"请按名称列出模型。"},
	"admin.api_version_is_for_azure": {
		"api_version is for azure channels only.",
		"api_version 只适用于 azure 渠道。"},
	"admin.remove_it_or_set_type.hint": {
		"Remove it, or set type azure.",
		"请删除它，或把 type 设为 azure。"},
	"admin.weights_timeouts_and_limits_must": {
		"Weights, timeouts and limits must not be negative.",
		"权重、超时和限额不能为负数。"},
	"admin.use_0_for_the_gateway.hint": {
		"Use 0 for the gateway's default.",
		"用 0 表示使用网关的默认值。"},
	"admin.group_does_not_exist2": {
		"Group {value} does not exist.",
		"分组 {value} 不存在。"},
	"admin.get_admin_v1_groups_lists.hint": {
		"GET /admin/v1/groups lists them; create one with POST /admin/v1/groups.",
		"GET /admin/v1/groups 会列出分组；可用 POST /admin/v1/groups 创建分组。"},
	"admin.channel_name_is_not_valid": {
		"Channel name {name} is not valid.",
		"渠道名称 {name} 无效。"},
	"admin.use_1_64_letters_digits.hint": {
		"Use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
		"请使用 1–64 个字母、数字、'.'、'_' 或 '-'，并以字母或数字开头。"},
	"admin.a_channel_named_already_exists": {
		"A channel named {name} already exists.",
		"名为 {name} 的渠道已经存在。"},
	"admin.change_it_with_patch_admin.hint": {
		"Change it with PATCH /admin/v1/channels/{name2}.",
		"请用 PATCH /admin/v1/channels/{name2} 修改它。"},
	"admin.a_channel_cannot_be_renamed": {
		"A channel cannot be renamed: request logs and the audit log refer to it by name.",
		"渠道不能改名：请求日志和审计日志都按名称引用它。"},
	"admin.create_a_new_channel_and.hint": {
		"Create a new channel and delete this one.",
		"请创建一个新渠道，再删除这个。"},
	"admin.the_credential_of_channel_cannot": {
		"The credential of channel {name} cannot be opened.",
		"无法打开渠道 {name} 的凭据。"},
	"admin.check_keygate_secret_key_it.hint": {
		"Check KEYGATE_SECRET_KEY: it must be the one the credential was sealed with.",
		"请检查 KEYGATE_SECRET_KEY：它必须是当初加密该凭据时使用的那个。"},
	"admin.channel_does_not_serve": {
		"Channel {name} does not serve {model}.",
		"渠道 {name} 不提供 {model}。"},
	"admin.name_one_of_its_models.hint": {
		"Name one of its models: {models}.",
		"请指定它的某个模型：{models}。"},
	"admin.the_model_list_of_channel": {
		"The model list of channel {name} could not be read: {value}.",
		"无法读取渠道 {name} 的模型列表：{value}。"},
	"admin.post_admin_v1_channels_test.hint": {
		"POST /admin/v1/channels/{name2}/test says which step fails and what to fix.",
		"POST /admin/v1/channels/{name2}/test 会说明哪一步失败以及如何修复。"},
	"admin.no_model_is_declared_or": {
		"No model {name} is declared or served.",
		"没有声明或提供模型 {name}。"},
	"admin.get_admin_v1_models_lists.hint2": {
		"GET /admin/v1/models lists them.",
		"GET /admin/v1/models 会列出模型。"},
	"admin.must_not_be_negative": {
		"{name} must not be negative.",
		"{name} 不能为负数。"},
	"admin.prices_are_usd_0_means.hint": {
		"Prices are USD; 0 means the built-in catalogue's price (or none).",
		"价格以美元计；0 表示使用内置目录的价格（或没有价格）。"},
	"admin.max_output_must_not_be": {
		"max_output must not be negative.",
		"max_output 不能为负数。"},
	"admin.use_0_for_no_cap.hint": {
		"Use 0 for no cap.",
		"用 0 表示不设上限。"},
	"admin.alias_is_not_valid": {
		"Alias {alias} is not valid.",
		"别名 {alias} 无效。"},
	"admin.aliases_are_other_names_of.hint": {
		"Aliases are other names of the model, not empty and not its own name.",
		"别名是模型的其他名称，不能为空，也不能是它自己的名称。"},
	"admin.model_name_is_not_valid": {
		"Model name {name} is not valid.",
		"模型名称 {name} 无效。"},
	"admin.use_the_name_clients_send.hint": {
		"Use the name clients send as \"model\" (no spaces, at most 128 bytes).",
		"请使用客户端在 \"model\" 中发送的名称（不含空格，最多 128 字节）。"},
	"admin.model_is_already_declared": {
		"Model {name} is already declared.",
		"模型 {name} 已经声明过了。"},
	"admin.change_it_with_patch_admin.hint2": {
		"Change it with PATCH /admin/v1/models/{name2}.",
		"请用 PATCH /admin/v1/models/{name2} 修改它。"},
	"admin.a_model_cannot_be_renamed": {
		"A model cannot be renamed: logs and keys refer to it by name.",
		"模型不能改名：日志和密钥都按名称引用它。"},
	"admin.add_the_new_name_as.hint": {
		"Add the new name as an alias, or declare a new model.",
		"请把新名称添加为别名，或声明一个新模型。"},
	"admin.is_not_a_request_id": {
		"{id} is not a request id.",
		"{id} 不是请求 ID。"},
	"admin.a_request_id_starts_with.hint": {
		"A request id starts with req_; take it from the x-request-id response header or the error body's request_id.",
		"请求 ID 以 req_ 开头；请从响应头 x-request-id 或错误响应体的 request_id 中获取。"},
	"admin.no_incident_with_id": {
		"No incident with id {id}.",
		"没有 ID 为 {id} 的事件记录。"},
	"admin.get_admin_v1_incidents_keygate.hint": {
		"GET /admin/v1/incidents (keygate incidents list) lists the incidents you can see.",
		"GET /admin/v1/incidents（keygate incidents list）会列出你能看到的事件记录。"},
	"admin.is_bytes_long_the_limit": {
		"{field} is {n_value} bytes long; the limit is {limit}.",
		"{field} 长 {n_value} 字节；上限为 {limit}。"},
	"admin.shorten_it_attach_details_as.hint": {
		"Shorten it; attach details as notes.",
		"请缩短它；详细内容请作为备注附上。"},
	"admin.nothing_was_saved": {
		"{value}. Nothing was saved.",
		"{value}。没有保存任何内容。"},
	"admin.never_paste_a_key_or.hint": {
		"Never paste a key or credential into an incident: refer to keygate keys by id (key_…) or display form (kg_live_ABCD…WXYZ). If it was a real credential, treat it as leaked: disable or rotate it.",
		"绝不要把密钥或凭据粘贴进事件记录：请用 ID（key_…）或显示形式（kg_live_ABCD…WXYZ）指代 keygate 密钥。如果那是真实的凭据，请当作已泄露处理：停用或轮换它。"},
	"admin.state_is_not_valid_here": {
		"state {state} is not valid here.",
		"state {state} 在这里无效。"},
	"admin.use_open_or_contained_resolve.hint": {
		"Use \"open\" or \"contained\"; resolve with POST /admin/v1/incidents/<id>/resolve.",
		"请使用 \"open\" 或 \"contained\"；要结束事件请调用 POST /admin/v1/incidents/<id>/resolve。"},
	"admin.keys_an_incident_links_at": {
		"{n_key_ids} keys; an incident links at most {max_incident_keys}.",
		"{n_key_ids} 个密钥；一个事件最多关联 {max_incident_keys} 个。"},
	"admin.request_ids_an_incident_links": {
		"{n_request_ids} request ids; an incident links at most {max_incident_requests}.",
		"{n_request_ids} 个请求 ID；一个事件最多关联 {max_incident_requests} 个。"},
	"admin.key_belongs_to_project_the": {
		"Key {id} belongs to project {project}, the incident to {project2}.",
		"密钥 {id} 属于项目 {project}，而该事件属于 {project2}。"},
	"admin.open_one_incident_per_project.hint": {
		"Open one incident per project, and mention the other in a note.",
		"请每个项目各开一个事件，并在备注中提及另一个。"},
	"admin.name_the_project_of_the": {
		"Name the project of the incident (or link one of its keys).",
		"请写明事件所属的项目（或关联该项目的某个密钥）。"},
	"admin.you_see_only_some_projects.hint": {
		"You see only some projects, so an incident you open must belong to one of them.",
		"你只能看到部分项目，因此你创建的事件必须属于其中之一。"},
	"admin.title_is_required": {
		"\"title\" is required.",
		"\"title\" 是必填项。"},
	"admin.say_in_a_few_words.hint": {
		"Say in a few words what is wrong, e.g. \"billing worker key leaked in CI logs\".",
		"请用几个词说明出了什么问题，例如 \"billing worker key leaked in CI logs\"。"},
	"admin.format_is_not_known": {
		"format={value} is not known.",
		"format={value} 无法识别。"},
	"admin.use_json_the_default_or.hint": {
		"Use json (the default) or markdown.",
		"请使用 json（默认）或 markdown。"},
	"admin.state_is_not_known": {
		"state={st} is not known.",
		"state={st} 无法识别。"},
	"admin.use_open_contained_resolved_unresolved.hint": {
		"Use open, contained, resolved, unresolved (the default) or all.",
		"请使用 open、contained、resolved、unresolved（默认）或 all。"},
	"admin.limit_is_not_a_number": {
		"limit={value} is not a number from 1 to 1000.",
		"limit={value} 不是 1 到 1000 之间的数字。"},
	"admin.the_project_of_an_incident": {
		"The project of an incident cannot be changed.",
		"事件所属的项目不能更改。"},
	"admin.open_a_new_incident_in.hint": {
		"Open a new incident in the other project.",
		"请在另一个项目中新开一个事件。"},
	"admin.text_is_required": {
		"\"text\" is required.",
		"\"text\" 是必填项。"},
	"admin.write_what_you_found_or.hint": {
		"Write what you found or did.",
		"请写下你发现了什么或做了什么。"},
	"admin.state_is_not_a_job": {
		"state={state} is not a job state.",
		"state={state} 不是任务状态。"},
	"admin.use_submitting_queued_in_progress.hint": {
		"Use submitting, queued, in_progress, completed, failed or cancelled.",
		"请使用 submitting、queued、in_progress、completed、failed 或 cancelled。"},
	"admin.limit_use_1_to_1000": {
		"limit={value}; use 1 to 1000.",
		"limit={value}；请使用 1 到 1000。"},
	"admin.no_job": {
		"No job {id}.",
		"没有任务 {id}。"},
	"admin.get_admin_v1_jobs_lists.hint": {
		"GET /admin/v1/jobs lists the jobs you may see.",
		"GET /admin/v1/jobs 会列出你能看到的任务。"},
	"admin.this_gateway_runs_no_job": {
		"This gateway runs no job engine.",
		"本网关没有运行任务引擎。"},
	"admin.expires_at_is_not_an": {
		"expires_at is not an RFC 3339 time.",
		"expires_at 不是 RFC 3339 时间。"},
	"admin.use_a_time_like_2026.hint2": {
		"Use a time like 2026-01-02T15:04:05Z, or null for no expiry.",
		"请使用形如 2026-01-02T15:04:05Z 的时间，或用 null 表示永不过期。"},
	"admin.or_send_null_to_remove.hint": {
		"Or send null to remove it.",
		"或者发送 null 来删除它。"},
	"admin.0_returns_the_key_to.hint": {
		"0 returns the key to its group's default; a positive number caps its calls in flight.",
		"0 表示让该密钥恢复使用分组的默认值；正数会限制它同时进行的调用数。"},
	"admin.key_is_deleted_and_cannot": {
		"Key {id} ({display}) is deleted and cannot be changed.",
		"密钥 {id}（{display}）已被删除，无法更改。"},
	"admin.create_a_new_key_instead.hint": {
		"Create a new key instead.",
		"请改为创建一个新密钥。"},
	"admin.key_is_deleted_it_is": {
		"Key {id} ({display}) is deleted; it is already refused.",
		"密钥 {id}（{display}）已被删除；它本来就会被拒绝。"},
	"admin.key_was_replaced_by_and": {
		"Key {id} ({display}) was replaced by {replaced_by} and cannot be re-enabled.",
		"密钥 {id}（{display}）已被 {replaced_by} 替换，不能重新启用。"},
	"admin.use_the_replacement_key.hint": {
		"Use the replacement key.",
		"请使用替换密钥。"},
	"admin.key_is_only_a_disabled": {
		"Key {id} ({display}) is {state}; only a disabled key can be enabled.",
		"密钥 {id}（{display}）的状态是 {state}；只有已停用的密钥才能启用。"},
	"admin.create_a_new_key_or.hint": {
		"Create a new key, or rotate the replacement.",
		"请创建一个新密钥，或轮换替换密钥。"},
	"admin.grace_seconds_must_be_between": {
		"grace_seconds must be between 0 and {max_grace} (30 days).",
		"grace_seconds 必须在 0 到 {max_grace}（30 天）之间。"},
	"admin.use_0_to_refuse_the.hint": {
		"Use 0 to refuse the old key at once (a leak), or the time clients need to switch.",
		"用 0 表示立即拒绝旧密钥（泄露时），或设为客户端切换所需的时间。"},
	"admin.the_idempotency_key_header_is": {
		"The Idempotency-Key header is longer than 200 characters.",
		"Idempotency-Key 头超过了 200 个字符。"},
	"admin.use_a_uuid.hint": {
		"Use a UUID.",
		"请使用 UUID。"},
	"admin.since_must_be_before_until": {
		"since must be before until.",
		"since 必须早于 until。"},
	"admin.digests_in_one_call_the": {
		"{n_digests} digests in one call; the limit is 1000.",
		"一次调用中有 {n_digests} 个摘要；上限为 1000。"},
	"admin.send_them_in_batches.hint": {
		"Send them in batches.",
		"请分批发送。"},
	"admin.is_not_a_hex_sha": {
		"{value} is not a hex SHA-256 digest.",
		"{value} 不是十六进制的 SHA-256 摘要。"},
	"admin.send_the_lowercase_hex_sha.hint": {
		"Send the lowercase hex SHA-256 of each key.",
		"请发送每个密钥的小写十六进制 SHA-256。"},
	"admin.request_types_has_the_types": {
		"request_types has {value}; the types are {request_types}.",
		"request_types 中有 {value}；可用的类型是 {request_types}。"},
	"admin.leave_request_types_empty_to.hint": {
		"Leave request_types empty to allow every type.",
		"让 request_types 为空即可允许所有类型。"},
	"admin.this_gateway_does_not_accept": {
		"This gateway does not accept secret-scanning reports: no trusted signing keys are configured.",
		"本网关不接受密钥扫描报告：没有配置受信任的签名密钥。"},
	"admin.operator_save_the_code_host.hint": {
		"Operator: save the code host's published secret-scanning public keys as a file and point KEYGATE_SECRET_SCANNING_KEYS at it.",
		"运维人员：请把代码托管平台公布的密钥扫描公钥保存为文件，并让 KEYGATE_SECRET_SCANNING_KEYS 指向它。"},
	"admin.the_report_is_larger_than": {
		"The report is larger than {max_leak_report} bytes.",
		"报告超过了 {max_leak_report} 字节。"},
	"admin.split_it_into_smaller_reports.hint": {
		"Split it into smaller reports.",
		"请拆分成较小的报告。"},
	"admin.the_report_body_could_not": {
		"The report body could not be read.",
		"无法读取报告的请求体。"},
	"admin.resend_it.hint": {
		"Resend it.",
		"请重新发送。"},
	"admin.report_refused_nothing_was_changed": {
		"Report refused: {value}; nothing was changed.",
		"报告被拒绝：{value}；没有做任何更改。"},
	"admin.sign_the_raw_body_with.hint": {
		"Sign the raw body with ECDSA P-256/SHA-256 and send {header_key_id} and {header_signature} (base64 DER); the key must be listed in KEYGATE_SECRET_SCANNING_KEYS.",
		"请用 ECDSA P-256/SHA-256 对原始请求体签名，并发送 {header_key_id} 和 {header_signature}（base64 DER）；该公钥必须列在 KEYGATE_SECRET_SCANNING_KEYS 中。"},
	"admin.the_report_is_not_a": {
		"The report is not a JSON array of {\"token\",\"type\",\"url\",\"source\"}.",
		"报告不是由 {\"token\",\"type\",\"url\",\"source\"} 组成的 JSON 数组。"},
	"admin.the_member_s_spend_cannot": {
		"The member's spend cannot be read right now.",
		"暂时无法读取该成员的花费。"},
	"admin.needs_limit_usd_0_and": {
		"{param} needs limit_usd ≥ 0 and period daily, monthly or total.",
		"{param} 需要 limit_usd ≥ 0，且 period 为 daily、monthly 或 total。"},
	"admin.for_example_limit_usd_200.hint": {
		"For example \"{param2}\": {\"limit_usd\": 200, \"period\": \"monthly\"}; send null to remove it.",
		"例如 \"{param2}\": {\"limit_usd\": 200, \"period\": \"monthly\"}；发送 null 可删除它。"},
	"admin.a_member_with_email_already": {
		"A member with email {email} already exists.",
		"邮箱为 {email} 的成员已经存在。"},
	"admin.get_admin_v1_members_lists.hint2": {
		"GET /admin/v1/members lists members; change one with PATCH /admin/v1/members/<id>, or issue a new token with POST /admin/v1/members/<id>/token.",
		"GET /admin/v1/members 会列出成员；可用 PATCH /admin/v1/members/<id> 修改成员，或用 POST /admin/v1/members/<id>/token 签发新令牌。"},
	"admin.is_not_an_email_address": {
		"{value} is not an email address.",
		"{value} 不是邮箱地址。"},
	"admin.members_are_named_by_email.hint": {
		"Members are named by email, e.g. \"ana@example.com\".",
		"成员以邮箱命名，例如 \"ana@example.com\"。"},
	"admin.role_is_not_a_role": {
		"role {role} is not a role.",
		"role {role} 不是有效的角色。"},
	"admin.use_one_of_owner_admin.hint": {
		"Use one of owner, admin, member (keys, logs and usage of their projects), support (read evidence and logs) or viewer (read-only).",
		"请使用 owner、admin、member（其项目的密钥、日志和用量）、support（读取证据和日志）或 viewer（只读）之一。"},
	"admin.has_role_only_an_owner": {
		"{actor} has role {role}; only an owner may create, change or remove an owner.",
		"{actor} 的角色是 {role}；只有所有者才能创建、更改或删除所有者。"},
	"admin.ask_an_owner_of_the.hint": {
		"Ask an owner of the gateway.",
		"请询问网关的所有者。"},
	"admin.a_member_with_role_member": {
		"A member with role \"member\" needs at least one project.",
		"角色为 \"member\" 的成员至少需要一个项目。"},
	"admin.name_the_projects_they_work.hint": {
		"Name the projects they work on, e.g. \"projects\": [\"checkout\"]; use role viewer or support for read access to every project.",
		"请写明他们参与的项目，例如 \"projects\": [\"checkout\"]；如需读取所有项目，请使用 viewer 或 support 角色。"},
	"admin.the_password_has_characters_it": {
		"The password has {n} characters; it needs {min_password_len} to {max_password_len} bytes.",
		"密码有 {n} 个字符；它需要 {min_password_len} 到 {max_password_len} 字节。"},
	"admin.choose_a_longer_passphrase_bcrypt.hint": {
		"Choose a longer passphrase (bcrypt reads at most 72 bytes).",
		"请选择更长的口令（bcrypt 最多读取 72 字节）。"},
	"admin.password_must_be_a_string": {
		"password must be a string or null.",
		"password 必须是字符串或 null。"},
	"admin.the_bootstrap_owner_token_is": {
		"The bootstrap owner token is KEYGATE_ADMIN_TOKEN itself; the gateway cannot change it.",
		"初始所有者令牌就是 KEYGATE_ADMIN_TOKEN 本身；网关无法更改它。"},
	"admin.set_a_new_keygate_admin.hint": {
		"Set a new KEYGATE_ADMIN_TOKEN (`keygate token generate`) and restart, or create an owner member with POST /admin/v1/members.",
		"请设置新的 KEYGATE_ADMIN_TOKEN（`keygate token generate`）并重启，或用 POST /admin/v1/members 创建一个所有者成员。"},
	"admin.has_role_and_may_only": {
		"{actor} has role {role} and may only create keys they own.",
		"{actor} 的角色是 {role}，只能创建属于自己的密钥。"},
	"admin.leave_member_out_an_owner.hint": {
		"Leave \"member\" out; an owner or admin can create a key for someone else.",
		"请不要填写 \"member\"；所有者或管理员可以为其他人创建密钥。"},
	"admin.member_cannot_see_project_so": {
		"Member {email} cannot see project {project}, so they could not manage this key.",
		"成员 {email} 看不到项目 {project}，因此无法管理这个密钥。"},
	"admin.add_the_project_to_the.hint": {
		"Add the project to the member first (PATCH /admin/v1/members/{id}), or create the key for another member.",
		"请先把该项目加给该成员（PATCH /admin/v1/members/{id}），或为其他成员创建该密钥。"},
	"admin.no_member_with_email": {
		"No member with email {ref}.",
		"没有邮箱为 {ref} 的成员。"},
	"admin.get_admin_v1_members_lists.hint3": {
		"GET /admin/v1/members lists members.",
		"GET /admin/v1/members 会列出成员。"},
	"admin.test_models_names_models_the": {
		"test_models names models the catalogue does not have: {unknown}.",
		"test_models 中有模型目录里没有的模型：{unknown}。"},
	"admin.use_catalogue_names_or_aliases.hint": {
		"Use catalogue names or aliases (GET /admin/v1/models lists them), or [] to let test keys use what their group allows.",
		"请使用目录中的名称或别名（GET /admin/v1/models 会列出它们），或用 [] 让测试密钥使用其分组允许的模型。"},
	"admin.name_is_not_valid": {
		"{kind} name {name} is not valid.",
		"{kind} 名称 {name} 无效。"},
	"admin.use_1_to_64_letters.hint": {
		"Use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
		"请使用 1 到 64 个字母、数字、'.'、'_' 或 '-'，并以字母或数字开头。"},
	"admin.project_already_exists": {
		"Project {name} already exists.",
		"项目 {name} 已经存在。"},
	"admin.change_it_with_patch_admin.hint3": {
		"Change it with PATCH /admin/v1/projects/{name2}.",
		"请用 PATCH /admin/v1/projects/{name2} 修改它。"},
	"admin.is_declared_in_keygate_config": {
		"{kind} {name} is declared in KEYGATE_CONFIG, which is applied again at every start.",
		"{kind} {name} 在 KEYGATE_CONFIG 中声明，而该文件在每次启动时都会重新应用。"},
	"admin.change_it_in_the_configuration.hint": {
		"Change it in the configuration file and restart (or redeploy), so the file and the gateway agree.",
		"请在配置文件中修改并重启（或重新部署），让文件和网关保持一致。"},
	"admin.a_project_cannot_be_renamed": {
		"A project cannot be renamed: keys, logs and budgets refer to it by name.",
		"项目不能改名：密钥、日志和预算都按名称引用它。"},
	"admin.create_a_new_project_instead.hint": {
		"Create a new project instead.",
		"请改为创建一个新项目。"},
	"admin.group_does_not_exist3": {
		"Group {name} does not exist.",
		"分组 {name} 不存在。"},
	"admin.get_admin_v1_groups_lists.hint2": {
		"GET /admin/v1/groups lists groups; create one with POST /admin/v1/groups or under groups: in KEYGATE_CONFIG.",
		"GET /admin/v1/groups 会列出分组；可用 POST /admin/v1/groups 或在 KEYGATE_CONFIG 的 groups: 下创建分组。"},
	"admin.group_already_exists": {
		"Group {name} already exists.",
		"分组 {name} 已经存在。"},
	"admin.change_it_with_patch_admin.hint4": {
		"Change it with PATCH /admin/v1/groups/{name2}.",
		"请用 PATCH /admin/v1/groups/{name2} 修改它。"},
	"admin.a_group_cannot_be_renamed": {
		"A group cannot be renamed: keys refer to it by name.",
		"分组不能改名：密钥都按名称引用它。"},
	"admin.create_a_new_group_and.hint": {
		"Create a new group and move keys to it with PATCH /admin/v1/keys/<id>.",
		"请创建一个新分组，并用 PATCH /admin/v1/keys/<id> 把密钥移过去。"},
	"admin.price_multiplier_must_be_greater": {
		"price_multiplier must be greater than 0.",
		"price_multiplier 必须大于 0。"},
	"admin.1_charges_catalogue_prices_1.hint": {
		"1 charges catalogue prices; 1.2 adds 20%.",
		"1 表示按目录价格计费；1.2 表示加价 20%。"},
	"admin.rpm_and_tpm_must_not2": {
		"rpm and tpm must not be negative (0 = no group default).",
		"rpm 和 tpm 不能为负数（0 表示分组不设默认值）。"},
	"admin.0_leaves_keys_of_the.hint": {
		"0 leaves keys of the group at KEYGATE_KEY_CONCURRENCY; a positive number caps each key's calls in flight.",
		"0 表示该分组的密钥使用 KEYGATE_KEY_CONCURRENCY；正数会限制每个密钥同时进行的调用数。"},
	"admin.a_group_needs_models_a": {
		"A group needs models: a list of catalogue names, or [\"*\"] for all.",
		"分组需要 models：目录中的名称列表，或用 [\"*\"] 表示全部。"},
	"admin.key_is_not_part_of": {
		"Key {id} ({display}) is not part of a rotation.",
		"密钥 {id}（{display}）不属于任何轮换。"},
	"admin.rotate_it_first_post_admin.hint": {
		"Rotate it first: POST /admin/v1/keys/{id2}/rotate (keygate keys rotate {id3}).",
		"请先轮换它：POST /admin/v1/keys/{id2}/rotate（keygate keys rotate {id3}）。"},
	"admin.lookback_is_not_a_duration": {
		"lookback={value} is not a duration from 0 to 30d.",
		"lookback={value} 不是 0 到 30d 之间的时长。"},
	"admin.use_e_g_72h_or.hint": {
		"Use e.g. 72h or 7d: how long before the rotation to look for clients of the old key.",
		"请使用例如 72h 或 7d：即在轮换之前回溯多久来查找旧密钥的客户端。"},
	"admin.send_grace_until_or_grace": {
		"Send grace_until or grace_seconds, not both.",
		"请发送 grace_until 或 grace_seconds，不要两者都发。"},
	"admin.grace_seconds_must_not_be": {
		"grace_seconds must not be negative.",
		"grace_seconds 不能为负数。"},
	"admin.use_0_to_end_the.hint": {
		"Use 0 to end the grace window now.",
		"用 0 表示立即结束宽限期。"},
	"admin.send_the_new_deadline_as": {
		"Send the new deadline as grace_until (RFC 3339) or grace_seconds (from now).",
		"请以 grace_until（RFC 3339）或 grace_seconds（从现在起）发送新的截止时间。"},
	"admin.for_example_grace_seconds_86400.hint": {
		"For example {\"grace_seconds\": 86400} for one more day, or {\"grace_seconds\": 0} to end it now.",
		"例如 {\"grace_seconds\": 86400} 表示再延长一天，{\"grace_seconds\": 0} 表示立即结束。"},
	"admin.the_deadline_is_more_than": {
		"The deadline {deadline} is more than 30 days away.",
		"截止时间 {deadline} 距今超过 30 天。"},
	"admin.pick_a_deadline_within_30.hint": {
		"Pick a deadline within 30 days; the old key should not outlive its replacement for long.",
		"请选择 30 天以内的截止时间；旧密钥不应比替换密钥多存活太久。"},
	"admin.key_is_disabled_it_is": {
		"Key {id} ({display}) is disabled: it is refused already and has no grace window.",
		"密钥 {id}（{display}）已被停用：它本来就会被拒绝，也没有宽限期。"},
	"admin.nothing_to_do_the_report.hint": {
		"Nothing to do; the report at GET /admin/v1/keys/{id2}/rotation shows who still tries to use it.",
		"无需操作；GET /admin/v1/keys/{id2}/rotation 的报告会显示谁还在尝试使用它。"},
	"admin.key_is_only_a_rotated": {
		"Key {id} ({display}) is {state}; only a rotated key has a grace window.",
		"密钥 {id}（{display}）的状态是 {state}；只有已轮换的密钥才有宽限期。"},
	"admin.not_retired": {
		"Not retired: {summary}",
		"未停用旧密钥：{summary}"},
	"admin.move_them_to_first_or.hint": {
		"Move them to {id} first, or send {\"force\": true}: their calls will then be refused with key_rotated (and listed in the rotation report).",
		"请先把它们迁移到 {id}，或发送 {\"force\": true}：之后它们的调用会以 key_rotated 被拒绝（并列在轮换报告中）。"},
	"admin.key_changed_state_to_meanwhile": {
		"Key {id} changed state to {state} meanwhile.",
		"密钥 {id} 在此期间状态变成了 {state}。"},
	"admin.look_at_it_again_and.hint": {
		"Look at it again and retry.",
		"请重新查看后再重试。"},
	"admin.env_is_not_an_environment": {
		"env={env} is not an environment.",
		"env={env} 不是有效的环境。"},
	"admin.use_env_live_or_env.hint": {
		"Use env=live or env=test.",
		"请使用 env=live 或 env=test。"},
	"admin.until_must_be_after_since": {
		"until must be after since.",
		"until 必须晚于 since。"},
	"admin.the_window_is_since_until.hint": {
		"The window is [since, until): since inclusive, until exclusive.",
		"时间窗口为 [since, until)：包含 since，不包含 until。"},
	"admin.group_by_is_not_a": {
		"group_by={value} is not a report dimension.",
		"group_by={value} 不是报表维度。"},
	"admin.use_model_key_member_project.hint": {
		"Use model, key, member, project, env or day (several with commas, e.g. group_by=day,model).",
		"请使用 model、key、member、project、env 或 day（可用逗号组合多个，例如 group_by=day,model）。"},
	"svc.a_new_key_could_not": {
		"A new key could not be generated.",
		"无法生成新密钥。"},
	"svc.retry_nothing_was_changed.hint": {
		"Retry; nothing was changed.",
		"请重试；没有做任何更改。"},
	"svc.key_was_already_rotated_its": {
		"Key {id} ({display}) was already rotated; its replacement is {replaced_by}.",
		"密钥 {id}（{display}）已经轮换过了；它的替换密钥是 {replaced_by}。"},
	"svc.rotate_the_replacement_instead_or.hint": {
		"Rotate the replacement instead, or retry with the same Idempotency-Key to get the earlier answer.",
		"请改为轮换替换密钥，或用同一个 Idempotency-Key 重试以获得之前的结果。"},
	"svc.key_is_and_cannot_be": {
		"Key {id} ({display}) is {state} and cannot be rotated.",
		"密钥 {id}（{display}）的状态是 {state}，无法轮换。"},
	"svc.this_is_the_last_enabled": {
		"This is the last enabled owner; the gateway would have no one who can manage owners.",
		"这是最后一个已启用的所有者；否则网关将没有人能管理所有者。"},
	"svc.make_another_member_an_owner.hint": {
		"Make another member an owner first (PATCH /admin/v1/members/<id> {\"role\": \"owner\"}).",
		"请先把另一个成员设为所有者（PATCH /admin/v1/members/<id> {\"role\": \"owner\"}）。"},
	"svc.the_gateway_s_database_did": {
		"The gateway's database did not answer, so nothing was changed.",
		"网关的数据库没有应答，因此没有做任何更改。"},
	"svc.retry_shortly_retry_after_get.hint": {
		"Retry shortly (Retry-After); GET /readyz tells when the database is back.",
		"请稍后重试（见 Retry-After）；GET /readyz 会显示数据库何时恢复。"},
	"svc.another_change_of_the_same": {
		"Another change of the same object got there first; nothing was changed.",
		"对同一对象的另一项更改先完成了；这次没有做任何更改。"},
	"svc.read_the_object_again_and.hint": {
		"Read the object again and retry.",
		"请重新读取该对象后再重试。"},
	"svc.the_change_could_not_be": {
		"The change could not be audited, so it was not applied.",
		"该更改无法写入审计日志，因此没有生效。"},
	"svc.retry_shortly_retry_after_a.hint": {
		"Retry shortly (Retry-After); a change that cannot be audited does not happen.",
		"请稍后重试（见 Retry-After）；无法审计的更改不会发生。"},

	// The story of one request (GET /admin/v1/requests/{request_id}): one
	// paragraph for a support reply. The English sentences after the first
	// start with their space; Chinese full stops take none.
	"evidence.who.anyone": {"A caller", "一个调用方"},
	"evidence.who.key": {
		"Key {key} ({id}, project {project}, group {group})",
		"密钥 {key}（{id}，项目 {project}，分组 {group}）"},
	"evidence.who.unmatched": {
		"A caller presenting {key} (no issued key matched)",
		"一个出示 {key} 的调用方（没有匹配的已签发密钥）"},
	"evidence.model": {" asking for model {model}", "，请求模型 {model}"},
	"evidence.called": {
		"{who} called {route}{model} from {ip} at {at}.",
		"{who}于 {at} 从 {ip} 调用了 {route}{model}。"},
	"evidence.attempt.answered": {
		" Attempt {n}: channel {channel} answered {status} in {ms} ms{why}.",
		"第 {n} 次尝试：渠道 {channel} 在 {ms} 毫秒内返回 {status}{why}。"},
	"evidence.attempt.no_answer": {
		" Attempt {n}: channel {channel} gave no answer in {ms} ms{why}.",
		"第 {n} 次尝试：渠道 {channel} 在 {ms} 毫秒内没有应答{why}。"},
	"evidence.attempt.why": {" ({error})", "（{error}）"},
	"evidence.served":      {" with {model} served", "，实际提供模型 {model}"},
	"evidence.estimated": {
		" (estimated: the upstream reported no usage)",
		"（估算值：上游没有报告用量）"},
	"evidence.ok": {
		" The caller got {status}{served}; {in} input and {out} output tokens{estimated}, cost ${usd}, charged: {charged}.",
		"调用方收到 {status}{served}；输入 {in} 个、输出 {out} 个 token{estimated}，费用 ${usd}，是否计费：{charged}。"},
	"evidence.failed.reason": {": {reason}", "：{reason}"},
	"evidence.docs":          {" What to do: {docs}.", "处理办法：{docs}。"},
	"evidence.key_now":       {" The key is now {state}.", "该密钥现在的状态：{state}。"},
	"evidence.failed": {
		" The caller got {status} {code}{reason}. Charged: {charged}.{docs}{state}",
		"调用方收到 {status} {code}{reason}。是否计费：{charged}。{docs}{state}"},
}
