package i18n

// authTexts: a key that was found (or not) and the state it is in, the
// address it came from, and the models it may use (internal/httpapi/auth.go).
var authTexts = map[Key]Text{
	"list.or": {" or ", " 或 "},

	"auth.unknown_key": {
		"The key {key} is well-formed but this gateway did not issue it.",
		"密钥 {key} 格式正确，但不是本网关签发的。"},
	"auth.unknown_key.hint": {
		"Check that you are calling the right gateway (base URL) with a key it issued; ask its owner for a key if needed.",
		"请确认调用的是正确的网关（base URL），并使用该网关签发的密钥；如有需要，请向其所有者申请密钥。"},
	"auth.stale": {
		"The gateway has not been able to confirm keys with its database for {stale} (the limit is {limit}), so it no longer trusts its cached copy.",
		"网关已有 {stale} 无法与数据库核对密钥（上限为 {limit}），因此不再信任其缓存副本。"},
	"auth.stale.hint": {
		"Retry later. Operators: the database is unreachable; check GET /readyz and the database itself.",
		"请稍后重试。运维人员：数据库无法连接，请检查 GET /readyz 和数据库本身。"},
	"auth.ip_not_allowed": {
		"Key {key} may not be used from {addr}: the address is outside its allowed networks.",
		"密钥 {key} 不能从 {addr} 使用：该地址不在其允许的网络范围内。"},
	"auth.ip_not_allowed.hint": {
		"Call from an allowed network, or ask the key's owner to add this address to allowed_ips.",
		"请从允许的网络发起调用，或请密钥所有者把此地址加入 allowed_ips。"},

	"auth.key_disabled": {
		"Key {key} was disabled at {at}{reason}{replaced}.",
		"密钥 {key} 已于 {at} 被停用{reason}{replaced}。"},
	"auth.key_disabled.reason": {
		" (reason: {reason})",
		"（原因：{reason}）"},
	"auth.key_disabled.replaced": {
		". It was replaced by {replacement}",
		"，已由 {replacement} 替换"},
	"auth.key_disabled.hint": {
		"Ask the key's owner whether it should be re-enabled or replaced; if it leaked, use the replacement key.",
		"请询问密钥所有者应重新启用还是替换该密钥；如果密钥已泄露，请使用替换后的新密钥。"},
	"auth.key_rotated": {
		"Key {key} was rotated; its grace period ended at {at}. The replacement is {replacement}.",
		"密钥 {key} 已轮换，宽限期已于 {at} 结束。替换密钥为 {replacement}。"},
	"auth.key_rotated.hint": {
		"Update this client's configuration to the replacement key (its owner has it).",
		"请把此客户端的配置更新为替换密钥（由其所有者持有）。"},
	"auth.key_expired": {
		"Key {key} expired at {at}.",
		"密钥 {key} 已于 {at} 过期。"},
	"auth.key_expired.hint": {
		"Ask the key's owner for a new key or a later expiry.",
		"请向密钥所有者申请新密钥或延长有效期。"},
	"auth.key_deleted": {
		"Key {key} was deleted at {at}.",
		"密钥 {key} 已于 {at} 被删除。"},
	"auth.key_deleted.hint": {
		"Ask the project's owner for a current key.",
		"请向项目所有者申请一个有效的密钥。"},
	"auth.key_state": {
		"Key {key} is in state {state} and cannot be used.",
		"密钥 {key} 处于 {state} 状态，无法使用。"},

	"auth.group_lacks_model": {
		"Model {model} is not available to key {key}: its group {group} does not include the model (the key's own scope is not the cause).{may_use}",
		"密钥 {key} 无法使用模型 {model}：其所在分组 {group} 不包含该模型（不是密钥自身权限范围的原因）。{may_use}"},
	"auth.group_lacks_model.hint": {
		"GET /v1/models lists the models this key may use; to use {model}, ask the gateway operator to add it to group {group} or to give you a key in a group that has it.",
		"GET /v1/models 会列出此密钥可用的模型；如需使用 {model}，请让网关运维人员把它加入分组 {group}，或给你一个所在分组包含该模型的密钥。"},
	"auth.scope_lacks_model": {
		"Model {model} is outside the model scope of key {key}: its group {group} allows the model, but the key's own allow-list does not.{may_use}",
		"模型 {model} 不在密钥 {key} 的模型范围内：其分组 {group} 允许该模型，但密钥自身的允许列表不包含它。{may_use}"},
	"auth.scope_lacks_model.hint": {
		"GET /v1/models lists the models this key may use; to use {model}, ask the key's owner to add it to the key's models scope.",
		"GET /v1/models 会列出此密钥可用的模型；如需使用 {model}，请让密钥所有者把它加入密钥的 models 范围。"},
	"auth.test_key_lacks_model": {
		"Model {model} is not available to test key {key}: project {project} restricts its test keys (kg_test_) to the models {models}; the key's group and own scope allow the model.{may_use}",
		"测试密钥 {key} 无法使用模型 {model}：项目 {project} 把其测试密钥（kg_test_）限制为模型 {models}；密钥的分组和自身范围都允许该模型。{may_use}"},
	"auth.test_key_lacks_model.hint": {
		"GET /v1/models lists the models this key may use; to use {model}, use a live key, or ask an owner or admin to add it to project {project}'s test_models.",
		"GET /v1/models 会列出此密钥可用的模型；如需使用 {model}，请改用正式密钥（live），或请所有者或管理员把它加入项目 {project} 的 test_models。"},
	"auth.may_use.none": {
		" This key may use no model at all.",
		"此密钥目前不能使用任何模型。"},
	"auth.may_use.some": {
		" It may use {models}.",
		"它可以使用：{models}。"},
	"auth.may_use.more": {
		" It may use {models} and {more} more.",
		"它可以使用：{models}，以及另外 {more} 个。"},
	"auth.no_channel": {
		"No channel serves model {model} for group {group}.",
		"没有渠道为分组 {group} 提供模型 {model}。"},
	"auth.no_channel.hint": {
		"Ask the gateway operator to add a channel for this model to your group.",
		"请让网关运维人员为你的分组添加提供此模型的渠道。"},

	"model.not_found": {
		"Model {model} is not in this gateway's catalogue.{detail}",
		"模型 {model} 不在本网关的模型目录中。{detail}"},
	"model.not_found.dated": {
		" It serves {base}, but not the dated version {date}{known}.",
		"本网关提供 {base}，但不提供带日期的版本 {date}{known}。"},
	"model.not_found.dated_known": {
		"; dated names it knows: {names}",
		"；已知的带日期名称：{names}"},
	"model.not_found.dated.hint": {
		"Use \"model\": {base}; GET /v1/models lists the models your key may use.",
		"请使用 \"model\": {base}；GET /v1/models 会列出你的密钥可用的模型。"},
	"model.not_found.did_you_mean": {
		" Did you mean {names}?",
		"你是不是想用 {names}？"},
	"model.not_found.dated_alias": {
		"{name} (dated alias {aliases})",
		"{name}（带日期的别名 {aliases}）"},
	"model.not_found.hint": {
		"GET /v1/models lists the models your key may use; model names are case-sensitive.",
		"GET /v1/models 会列出你的密钥可用的模型；模型名称区分大小写。"},
}
