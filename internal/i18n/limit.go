package i18n

// limitTexts: budgets, rate limits and concurrency (internal/httpapi/admit.go).
var limitTexts = map[Key]Text{
	"quota.too_small": {
		"The {period} budget of {which} ({limit}) is too small for this call's worst case: it may cost up to {asked}{parts}, and {spent} has been spent{held}, so {left} is left.{fit}{reset}",
		"{which}的{period}预算（{limit}）不足以覆盖本次调用的最坏情况：本次调用最多可能花费 {asked}{parts}，已花费 {spent}{held}，剩余 {left}。{fit}{reset}"},
	"quota.used_up": {
		"The {period} budget of {which} ({limit}) is used up: {spent} has been spent{held}, so {left} is left, and this call may cost up to {asked}{parts}.{fit}{reset}",
		"{which}的{period}预算（{limit}）已用完：已花费 {spent}{held}，剩余 {left}，而本次调用最多可能花费 {asked}{parts}。{fit}{reset}"},
	"quota.held": {
		" and {held} is held by calls in flight",
		"，另有 {held} 被进行中的调用占用"},
	"quota.parts": {
		" (about {input} prompt tokens and {output} output tokens{choices}{default})",
		"（约 {input} 个提示词 token 和 {output} 个输出 token{choices}{default}）"},
	"quota.parts.choices": {
		", {n} choices of {each}",
		"，共 {n} 个候选、每个 {each} 个"},
	"quota.parts.default": {
		"; the request sets no {cap}, so the model's default is reserved",
		"；请求未设置 {cap}，因此按模型的默认上限预留"},
	"quota.fit": {
		" The largest {cap} that fits in what is left is {fit}.",
		"剩余预算最多容纳 {cap} 为 {fit}。"},
	"quota.no_fit": {
		" Not even the prompt fits in what is left.",
		"剩余预算连提示词都不够。"},
	"quota.resets_at": {
		" It resets at {at}.",
		"预算将于 {at} 重置。"},
	"quota.total": {
		" It is a total budget and does not reset.",
		"这是总额预算，不会重置。"},
	"quota.period.daily":   {"daily", "每日"},
	"quota.period.monthly": {"monthly", "每月"},
	"quota.period.total":   {"total", "总额"},
	"quota.which.key": {
		"key {key} ({id})",
		"密钥 {key}（{id}）"},
	"quota.which.project": {
		"project {project}",
		"项目 {project} "},
	"quota.which.member": {
		"member {member}, shared by all the keys they own (key {key} is one of them)",
		"成员 {member}（其名下所有密钥共用，密钥 {key} 是其中之一）"},
	"quota.which.project_test": {
		"project {project}'s test keys (the test budget, shared by all its kg_test_ keys; key {key} is one of them)",
		"项目 {project} 的测试密钥（测试预算，由其所有 kg_test_ 密钥共用，密钥 {key} 是其中之一）"},
	"quota.which.other": {
		"{scope} {subject}",
		"{scope} {subject} "},
	"quota.exhausted.hint": {
		"Wait for the reset, use a cheaper model, or ask an owner or admin to raise the budget. Retrying now will not help.",
		"请等待预算重置、改用更便宜的模型，或请所有者或管理员提高预算。现在重试没有用。"},
	"quota.fit.hint": {
		"Send {cap} of at most {fit}, wait for the reset, use a cheaper model, or ask an owner or admin to raise the budget. Retrying now will not help.",
		"请把 {cap} 设为不超过 {fit}、等待预算重置、改用更便宜的模型，或请所有者或管理员提高预算。现在重试没有用。"},
	"quota.unavailable": {
		"The gateway cannot check the budgets of this call right now, so it refuses rather than overspend.",
		"网关暂时无法核对本次调用的预算，因此宁可拒绝也不超支。"},
	"quota.unavailable.hint": {
		"Retry shortly; if it persists, tell the gateway operator (the database or Redis is unreachable).",
		"请稍后重试；如果问题持续，请告知网关运维人员（数据库或 Redis 无法连接）。"},
	"quota.spend_unavailable": {
		"The key's spend cannot be read right now.",
		"暂时无法读取该密钥的花费。"},
	"retry.shortly": {
		"Retry shortly.",
		"请稍后重试。"},
	"rate.unavailable": {
		"The gateway cannot check this key's rate limits right now.",
		"网关暂时无法核对此密钥的速率限制。"},

	"rate.whose.key":   {"the key's own", "密钥自身的"},
	"rate.whose.group": {"its group {group}'s", "其分组 {group} 的"},
	"rate.too_large": {
		"This call needs about {tokens} tokens (prompt estimate plus max_tokens), more than the whole {tpm} tokens per minute of key {key} ({whose} limit): it can never fit.",
		"本次调用约需 {tokens} 个 token（提示词估算加 max_tokens），超过了密钥 {key} 每分钟总共 {tpm} 个 token 的上限（{whose}限额），永远无法通过。"},
	"rate.too_large.hint": {
		"Lower max_tokens or shorten the prompt, or ask an owner or admin for a higher tpm.",
		"请调低 max_tokens 或缩短提示词，或请所有者或管理员提高 tpm。"},
	"rate.tokens": {
		"Key {key} is over {whose} limit of {tpm} tokens per minute: this call needs about {tokens} tokens (prompt estimate plus max_tokens) and {remaining} remain.",
		"密钥 {key} 超出了{whose}每分钟 {tpm} 个 token 的限额：本次调用约需 {tokens} 个 token（提示词估算加 max_tokens），剩余 {remaining} 个。"},
	"rate.requests": {
		"Key {key} is over {whose} limit of {rpm} requests per minute.",
		"密钥 {key} 超出了{whose}每分钟 {rpm} 次请求的限额。"},
	"rate.hint": {
		"Retry after {secs} s (Retry-After); the x-ratelimit-* headers show what is left. If your steady traffic needs more, ask an owner or admin for a higher limit.",
		"请在 {secs} 秒后重试（见 Retry-After）；x-ratelimit-* 响应头显示剩余额度。如果日常流量需要更多，请向所有者或管理员申请更高的限额。"},

	"concurrency.whose.key": {
		"the key's own limit",
		"密钥自身的限额"},
	"concurrency.whose.group": {
		"the default of its group {group}",
		"其分组 {group} 的默认值"},
	"concurrency.whose.gateway": {
		"the gateway's per-key default (KEYGATE_KEY_CONCURRENCY)",
		"网关对每个密钥的默认值（KEYGATE_KEY_CONCURRENCY）"},
	"concurrency.exceeded": {
		"Key {key} is at its limit of calls in flight on this gateway instance: {running} running, and {whose} is {limit} at once.",
		"密钥 {key} 在本网关实例上的并发调用已达上限：正在运行 {running} 个，而{whose}为同时 {limit} 个。"},
	"concurrency.raise.key": {
		"ask an owner or admin to raise the key's concurrency (PATCH /admin/v1/keys/{id} {\"concurrency\": N})",
		"请所有者或管理员提高该密钥的并发数（PATCH /admin/v1/keys/{id} {\"concurrency\": N}）"},
	"concurrency.raise.group": {
		"ask an owner or admin to give the key a concurrency of its own (PATCH /admin/v1/keys/{id} {\"concurrency\": N}) or to raise the group's",
		"请所有者或管理员为该密钥单独设置并发数（PATCH /admin/v1/keys/{id} {\"concurrency\": N}），或提高分组的并发数"},
	"concurrency.raise.gateway": {
		"ask an owner or admin to give the key a concurrency of its own (PATCH /admin/v1/keys/{id} {\"concurrency\": N})",
		"请所有者或管理员为该密钥单独设置并发数（PATCH /admin/v1/keys/{id} {\"concurrency\": N}）"},
	"concurrency.exceeded.hint": {
		"Wait for a call to finish before starting another (Retry-After), or lower your client's parallelism; if your workload needs more, {raise}.",
		"请等一个调用结束后再发起新的调用（见 Retry-After），或降低客户端的并行度；如果业务确实需要更多，{raise}。"},
}
