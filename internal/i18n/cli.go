package i18n

// cliTexts: what the keygate command line prints itself (internal/cli) in
// the language of KEYGATE_LANG or the locale. The gateway's own error
// messages come in that language too: the CLI sends it as Accept-Language.
var cliTexts = map[Key]Text{
	// The admin client.
	"cli.no_token": {
		"KEYGATE_ADMIN_TOKEN is not set: export the owner token the gateway printed on first start (or a member's kg_pat_ token).",
		"未设置 KEYGATE_ADMIN_TOKEN：请导出网关首次启动时打印的所有者令牌（或成员的 kg_pat_ 令牌）。"},
	"cli.bad_addr": {
		"KEYGATE_ADDR {addr} is not a usable URL: {err}",
		"KEYGATE_ADDR {addr} 不是可用的 URL：{err}"},
	"cli.unreachable": {
		"cannot reach the gateway at {addr} (KEYGATE_ADDR): {err}",
		"无法连接 {addr} 上的网关（KEYGATE_ADDR）：{err}"},
	"cli.read_answer": {
		"read the gateway's answer: {err}",
		"读取网关的应答失败：{err}"},
	"cli.decode_answer": {
		"decode the gateway's answer to {method} {path}: {err}",
		"解析网关对 {method} {path} 的应答失败：{err}"},
	"cli.not_keygate": {
		"{method} {path} answered {status}",
		"{method} {path} 返回了 {status}"},
	"cli.not_keygate.hint": {
		"check that KEYGATE_ADDR points at a keygate gateway",
		"请检查 KEYGATE_ADDR 是否指向 keygate 网关"},
	"cli.error.hint":       {"hint: {hint}", "提示：{hint}"},
	"cli.error.request_id": {"request id: {id}", "请求 ID：{id}"},

	// keygate keys: one key.
	"cli.key.id":           {"id", "ID"},
	"cli.key.display":      {"display", "显示形式"},
	"cli.key.env":          {"env", "环境"},
	"cli.key.state":        {"state", "状态"},
	"cli.key.state_since":  {"state since", "状态起始"},
	"cli.key.by":           {"{when} by {who}", "{when}，操作者 {who}"},
	"cli.key.reason":       {"reason", "原因"},
	"cli.key.grace_until":  {"grace until", "宽限期至"},
	"cli.key.replaced_by":  {"replaced by", "替换为"},
	"cli.key.rotated_from": {"rotated from", "轮换自"},
	"cli.key.name":         {"name", "名称"},
	"cli.key.project":      {"project", "项目"},
	"cli.key.group":        {"group", "分组"},
	"cli.key.models":       {"models", "模型"},
	"cli.key.allowed_ips":  {"allowed ips", "允许的 IP"},
	"cli.key.expires":      {"expires", "到期"},
	"cli.key.budget":       {"budget", "预算"},
	"cli.key.budget_value": {"${usd} {period}", "${usd}（{period}）"},
	"cli.key.limits":       {"limits", "限额"},
	"cli.key.limits_value": {"{rpm} rpm, {tpm} tpm", "每分钟 {rpm} 次请求，每分钟 {tpm} 个 token"},
	"cli.key.concurrency":  {"concurrency", "并发"},
	"cli.key.concurrency_value": {
		"{n} calls in flight per instance",
		"每个实例最多 {n} 个进行中的调用"},
	"cli.key.created": {"created", "创建"},
	"cli.key.list_header": {
		"ID\tKEY\tENV\tSTATE\tPROJECT\tGROUP\tNAME\tEXPIRES\tCREATED",
		"ID\t密钥\t环境\t状态\t项目\t分组\t名称\t到期\t创建时间"},
	"cli.key.shown_once": {
		"The key is shown ONCE; store it in your secret manager now:",
		"密钥只显示这一次（shown ONCE）；请立即存入你的密钥管理器："},
	"cli.key.nothing_to_change": {
		"nothing to change: pass at least one of --name, --group, --models, --allowed-ips, --expires, --budget-usd, --rpm, --tpm, --concurrency",
		"没有要修改的内容：请至少传入 --name、--group、--models、--allowed-ips、--expires、--budget-usd、--rpm、--tpm、--concurrency 之一"},

	// keygate keys rotate / rotation / retire.
	"cli.rotate.done": {
		"Rotated {old} ({old_display}) → {new} ({new_display}).",
		"已轮换 {old}（{old_display}）→ {new}（{new_display}）。"},
	"cli.rotate.grace": {
		"The old key works until {until}, then answers key_rotated.",
		"旧密钥在 {until} 之前仍可使用，之后返回 key_rotated。"},
	"cli.rotate.retry": {
		"keygate: rotation call failed, retrying once with the same Idempotency-Key: {err}",
		"keygate：轮换调用失败，正在用同一个 Idempotency-Key 重试一次：{err}"},
	"cli.rotation.title": {
		"Rotation {old} ({old_display}) → {new} ({new_display})",
		"轮换 {old}（{old_display}）→ {new}（{new_display}）"},
	"cli.rotation.old_disabled": {
		"the old key is disabled: every call with it is refused",
		"旧密钥已停用：用它的每个调用都会被拒绝"},
	"cli.rotation.grace_ended": {
		"grace window ended {when} ({ago})",
		"宽限期已于 {when} 结束（{ago}）"},
	"cli.rotation.grace_left": {
		"old key accepted until {when} ({left} left)",
		"旧密钥在 {when} 之前仍被接受（还剩 {left}）"},
	"cli.rotation.migrated": {
		"{migrated} of {total} clients migrated",
		"{total} 个客户端中已有 {migrated} 个迁移"},
	"cli.rotation.old_calls": {"old key: {n} calls", "旧密钥：{n} 次调用"},
	"cli.rotation.last_call": {", last call {ago}", "，最近一次调用 {ago}"},
	"cli.rotation.new_calls": {"new key: {n} calls · ", "新密钥：{n} 次调用 · "},
	"cli.rotation.still_old": {
		"! used the old key again after switching: another process on this host still has it",
		"! 切换后又用了旧密钥：这台主机上还有别的进程持有它"},
	"cli.rotation.more_refused": {"… and {n} more refused calls", "……以及另外 {n} 次被拒绝的调用"},
	"cli.rotation.refused":      {"refused {when} ({code}) {request_id}", "{when} 被拒绝（{code}）{request_id}"},
	"cli.rotation.none": {
		"No client used the old key {display} since {since}.",
		"自 {since} 以来没有客户端使用旧密钥 {display}。"},
	"cli.rotation.summary": {
		"{migrated} of {total} clients migrated{still}.",
		"{total} 个客户端中已有 {migrated} 个迁移{still}。"},
	"cli.rotation.next": {"Next: {next}", "下一步：{next}"},
	"cli.rotation.next.disabled": {
		"The old key is disabled: every call with it is refused. Move the clients above to {new}.",
		"旧密钥已停用：用它的每个调用都会被拒绝。请把上面的客户端迁移到 {new}。"},
	"cli.rotation.next.over_remaining": {
		"The grace window is over and {n} clients still send the old key (refused with key_rotated): give them {new}, or extend the grace (keygate keys grace {old} --for 24h).",
		"宽限期已结束，仍有 {n} 个客户端发送旧密钥（以 key_rotated 拒绝）：请把 {new} 交给它们，或延长宽限期（keygate keys grace {old} --for 24h）。"},
	"cli.rotation.next.over": {
		"The grace window is over; the old key is refused.",
		"宽限期已结束；旧密钥会被拒绝。"},
	"cli.rotation.next.all_migrated": {
		"Every known client uses the replacement: retire the old key now (keygate keys retire {old}), or let the grace window end at {deadline}.",
		"所有已知客户端都在使用替换密钥：现在停用旧密钥（keygate keys retire {old}），或等宽限期在 {deadline} 结束。"},
	"cli.rotation.next.waiting": {
		"Give the remaining clients {new} before {deadline}, or change the deadline (keygate keys grace {old} --for 24h); watch them move with keygate keys rotation {old} --watch.",
		"请在 {deadline} 之前把 {new} 交给其余客户端，或修改截止时间（keygate keys grace {old} --for 24h）；用 keygate keys rotation {old} --watch 观察迁移。"},
	"cli.rotation.still_on_old": {
		"; still on the old key: {clients}",
		"；仍在使用旧密钥：{clients}"},
	"cli.rotation.and_more":         {"and {n} more", "另外 {n} 个"},
	"cli.rotation.client_last_call": {"{client} (last call {ago})", "{client}（最近一次调用 {ago}）"},
	"cli.rotation.all_done": {
		"All {n} known clients use {new}. Retire the old key now: keygate keys retire {old}",
		"所有 {n} 个已知客户端都在使用 {new}。现在停用旧密钥：keygate keys retire {old}"},
	"cli.rotation.retired": {
		"The old key is retired: its calls are now refused with key_rotated.",
		"旧密钥已停用：它的调用现在以 key_rotated 拒绝。"},
	"cli.rotation.grace_flags": {
		"give the new deadline with --for DURATION (from now: 2h, 1d, 0 to end it) or --until TIME",
		"请用 --for 时长（从现在起：2h、1d，0 表示立即结束）或 --until 时间给出新的截止时间"},
	"cli.rotation.bad_for": {
		"--for {value} is not a duration such as 90m, 24h or 2d",
		"--for {value} 不是 90m、24h 或 2d 这样的时长"},

	// Times for people.
	"cli.ago.future":  {"in {d}", "{d} 之后"},
	"cli.ago.now":     {"just now", "刚刚"},
	"cli.ago.minutes": {"{n} min ago", "{n} 分钟前"},
	"cli.ago.hours":   {"{n} h ago", "{n} 小时前"},
	"cli.ago.days":    {"{n} days ago", "{n} 天前"},

	// keygate keys impact.
	"cli.impact.title": {"Impact report for key {display} ({id})", "密钥 {display}（{id}）的影响报告"},
	"cli.impact.key": {
		"project {project} · group {group} · env {env} · state {state}",
		"项目 {project} · 分组 {group} · 环境 {env} · 状态 {state}"},
	"cli.impact.since":       {" since {when}", "，自 {when} 起"},
	"cli.impact.reason":      {"reason: {reason}", "原因：{reason}"},
	"cli.impact.replaced_by": {"replaced by: {id}", "替换为：{id}"},
	"cli.impact.window":      {"Window: {since} → {until}", "时间窗口：{since} → {until}"},
	"cli.impact.totals": {
		"Requests: {requests}   Spend: ${spend}   Refused after disable/rotation: {refused}",
		"请求：{requests}   花费：${spend}   停用/轮换后被拒绝：{refused}"},
	"cli.impact.baseline": {
		"Baseline before the window: {requests} requests ({per_hour}/hour)",
		"窗口之前的基线：{requests} 次请求（每小时 {per_hour} 次）"},
	"cli.impact.anomalies": {"Anomalies:", "异常："},
	"cli.impact.by_ip":     {"By source address:", "按来源地址："},
	"cli.impact.ip_header": {
		"  IP\tREQUESTS\tREFUSED\tFIRST SEEN\tLAST SEEN\tNEW",
		"  IP\t请求\t被拒绝\t首次出现\t最近出现\t新地址"},
	"cli.impact.new":         {"NEW", "新"},
	"cli.impact.by_model":    {"By model:", "按模型："},
	"cli.impact.requests":    {"{n} requests", "{n} 次请求"},
	"cli.impact.user_agents": {"User agents:", "User-Agent："},
	"cli.impact.by_hour":     {"By hour (UTC):", "按小时（UTC）："},
	"cli.impact.refused":     {"Latest refused attempts:", "最近被拒绝的尝试："},
	// keygate members.
	"cli.member.enabled":  {"enabled", "已启用"},
	"cli.member.disabled": {"disabled", "已停用"},
	"cli.member.yes":      {"yes", "有"},
	"cli.member.no":       {"no", "无"},
	"cli.member.line": {
		"{id}  {email}  role {role}  projects {projects}  {state}",
		"{id}  {email}  角色 {role}  项目 {projects}  {state}"},
	"cli.member.budget": {"budget: {budget}", "预算：{budget}"},
	"cli.member.token_once": {
		"Personal access token — shown ONCE, store it now:",
		"个人访问令牌——只显示这一次（shown ONCE），请立即保存："},
	"cli.member.token_use": {
		"Use it as KEYGATE_ADMIN_TOKEN for the CLI, or as the Bearer token of the admin API.",
		"把它用作 CLI 的 KEYGATE_ADMIN_TOKEN，或管理 API 的 Bearer 令牌。"},
	"cli.member.list_header": {
		"ID\tEMAIL\tROLE\tPROJECTS\tSTATE\tPASSWORD",
		"ID\t邮箱\t角色\t项目\t状态\t密码"},
	"cli.member.removed": {"Removed {email}. {note}", "已移除 {email}。{note}"},
	"cli.member.no_password": {
		"--password-stdin: stdin held no password; pipe one line, e.g. `pass show keygate/ana | keygate members …`",
		"--password-stdin：标准输入中没有密码；请用管道传入一行，例如 `pass show keygate/ana | keygate members …`"},
	"cli.member.enable_disable": {
		"--disable and --enable contradict each other: choose one",
		"--disable 与 --enable 互相矛盾：请只选一个"},
	"cli.member.nothing_to_change": {
		"nothing to change: give --role, --projects, --disable, --enable, --password-stdin, --clear-password or --budget-usd",
		"没有要修改的内容：请给出 --role、--projects、--disable、--enable、--password-stdin、--clear-password 或 --budget-usd"},
	"cli.member.period_needs_usd": {
		"--budget-period needs --budget-usd (the amount per period)",
		"--budget-period 需要同时给出 --budget-usd（每个周期的金额）"},
	"cli.member.negative_budget": {
		"--budget-usd {value}: a budget cannot be negative (0 removes it)",
		"--budget-usd {value}：预算不能为负数（0 表示取消预算）"},
	"cli.member.bad_period": {
		"--budget-period {value}: use daily, monthly or total",
		"--budget-period {value}：请使用 daily、monthly 或 total"},

	// keygate scan.
	"cli.scan.none":    {"No keys found.", "没有发现密钥。"},
	"cli.scan.commit":  {"commit {commit}", "提交 {commit}"},
	"cli.scan.unknown": {"not issued by this gateway", "不是本网关签发的"},
	"cli.scan.live": {
		"LIVE {state} key {id} (project {project}): disable or rotate it now",
		"有效（LIVE）的 {state} 密钥 {id}（项目 {project}）：请立即停用或轮换"},
	"cli.scan.known": {"{state} key {id} (project {project})", "{state} 密钥 {id}（项目 {project}）"},
	"cli.scan.total": {
		"{n} finding(s). Never paste a key into a ticket or chat: use the display form above or its key id.",
		"共 {n} 处发现。切勿把密钥贴进工单或聊天：请使用上面的显示形式或它的密钥 ID。"},

	// keygate incidents.
	"cli.incident.secret_in_text": {
		"{err}; nothing was sent. Refer to keys by id (key_…) or display form, and if it was a real credential, disable or rotate it",
		"{err}；什么也没有发送。请用 ID（key_…）或显示形式指代密钥；如果那是真实凭据，请停用或轮换它"},
	"cli.incident.none": {"No incidents.", "没有事件。"},
	"cli.incident.list_header": {
		"ID\tSTATE\tOPENED\tOWNER\tPROJECT\tNEXT REVIEW\tTITLE",
		"ID\t状态\t开启时间\t负责人\t项目\t下次复查\t标题"},
	"cli.incident.left":   {"What is left:", "尚待处理："},
	"cli.incident.record": {"Full record: keygate incidents show {id}", "完整记录：keygate incidents show {id}"},
	"cli.incident.title_required": {
		"--title is required: say in a few words what is wrong",
		"必须给出 --title：用几个词说明出了什么问题"},
	"cli.incident.nothing_to_change": {
		"nothing to change: give at least one flag (see --help)",
		"没有要修改的内容：请至少给出一个参数（见 --help）"},
	"cli.incident.noted": {"Noted.", "已记录（Noted.）"},

	// keygate jobs.
	"cli.job.none": {"No jobs.", "没有任务。"},
	"cli.job.list_header": {
		"ID\tSTATE\tCREATED\tPROJECT\tKEY\tMODEL\tSECONDS\tCHARGED\tCOST",
		"ID\t状态\t创建时间\t项目\t密钥\t模型\t秒数\t计费\t费用"},

	// keygate channels.
	"cli.channel.list_header": {
		"NAME\tTYPE\tSTATE\tMODELS\tCREDENTIAL\tLAST TEST\tMANAGED BY",
		"名称\t类型\t状态\t模型\t凭据\t最近测试\t管理方"},
	"cli.channel.test_failed": {
		"the channel test failed: see the steps above",
		"渠道测试失败：请看上面的各个步骤"},
	"cli.channel.report":     {"channel {name} ({type}), {at}", "渠道 {name}（{type}），{at}"},
	"cli.channel.ok":         {"ok  ", "通过"},
	"cli.channel.fail":       {"FAIL", "失败"},
	"cli.channel.reachable":  {"reachable ", "可访问  "},
	"cli.channel.credential": {"credential", "凭据    "},
	"cli.channel.models":     {"models    ", "模型    "},
	"cli.channel.call":       {"call      ", "调用    "},
	"cli.channel.fix":        {"fix: {fix}", "解决办法：{fix}"},
	"cli.channel.missing": {
		"- {model}  (claimed, not listed by the upstream)",
		"- {model}  （已声明，但上游没有列出）"},
	"cli.channel.exact": {
		"channel {name} claims exactly what the upstream lists ({n} models)",
		"渠道 {name} 声明的模型与上游列出的完全一致（{n} 个模型）"},
	"cli.channel.nothing_added": {
		"Nothing was added. To serve new ones: keygate channels update {name} --models <the full list>",
		"没有添加任何模型。要提供新模型：keygate channels update {name} --models <完整列表>"},
	"cli.channel.no_credential": {
		"--api-key-stdin: stdin held no credential; pipe one line, e.g. `pass show openai | keygate channels add …`",
		"--api-key-stdin：标准输入中没有凭据；请用管道传入一行，例如 `pass show openai | keygate channels add …`"},
	"cli.channel.nothing_to_change": {
		"nothing to change: give at least one flag (keygate channels update --help)",
		"没有要修改的内容：请至少给出一个参数（keygate channels update --help）"},

	// keygate support evidence.
	"cli.evidence.request_id":   {"request id", "请求 ID"},
	"cli.evidence.time":         {"time (UTC)", "时间（UTC）"},
	"cli.evidence.key":          {"key", "密钥"},
	"cli.evidence.key_state":    {"key state now", "密钥当前状态"},
	"cli.evidence.project":      {"project", "项目"},
	"cli.evidence.member":       {"member", "成员"},
	"cli.evidence.group":        {"group", "分组"},
	"cli.evidence.route":        {"route", "路由"},
	"cli.evidence.model_asked":  {"model asked", "请求的模型"},
	"cli.evidence.model_served": {"model served", "实际的模型"},
	"cli.evidence.channel":      {"channel", "渠道"},
	"cli.evidence.attempt":      {"attempt {n}", "第 {n} 次尝试"},
	"cli.evidence.answered":     {"answered", "应答"},
	"cli.evidence.reason":       {"reason", "原因"},
	"cli.evidence.docs":         {"docs", "文档"},
	"cli.evidence.tokens":       {"tokens", "token"},
	"cli.evidence.cost":         {"cost", "费用"},
	"cli.evidence.latency":      {"latency", "延迟"},
	"cli.evidence.source":       {"source", "来源地址"},
	"cli.evidence.user_agent":   {"user agent", "User-Agent"},
	"cli.evidence.colon":        {":", "："},
	"cli.evidence.no_key_matched": {
		"(no issued key matched)",
		"（没有匹配的已签发密钥）"},
	"cli.evidence.state_since": {"{state} since {at}", "{state}，自 {at} 起"},
	"cli.evidence.stream":      {"(stream)", "（流式）"},
	"cli.evidence.no_answer":   {"no answer", "无应答"},
	"cli.evidence.attempt_value": {
		"{channel} → {status} in {ms} ms",
		"{channel} → {status}，用时 {ms} 毫秒"},
	"cli.evidence.tokens_value":  {"{in} in, {out} out", "输入 {in}，输出 {out}"},
	"cli.evidence.estimated":     {"(estimated)", "（估算）"},
	"cli.evidence.cost_value":    {"${usd}, charged: {charged}", "${usd}，是否计费：{charged}"},
	"cli.evidence.latency_value": {"{ms} ms (first byte {ttfb} ms)", "{ms} 毫秒（首字节 {ttfb} 毫秒）"},

	// keygate audit and keygate migrate.
	"cli.audit.header":   {"TIME\tACTOR\tACTION\tOBJECT\tFROM\tDETAIL", "时间\t操作者\t操作\t对象\t来源\t详情"},
	"cli.migrate.header": {"table\tsource\ttarget\t", "表\t源\t目标\t"},
	"cli.migrate.copied": {
		"copied {n} tables from {from} to {to}; counts match",
		"已将 {n} 张表从 {from} 复制到 {to}；行数一致"},
	"cli.migrate.applied": {"migrations applied", "迁移已应用"},
}
