package i18n

// credentialTexts: why a presented credential is unusable, from the request
// alone (internal/credential). They are clauses in lower case: the
// credential package returns them as a Problem's message and hint.
var credentialTexts = map[Key]Text{
	"cred.src.bearer": {"the Bearer token", "Bearer 令牌"},
	"cred.src.header": {"{header}", "{header} 头"},

	"cred.send.openai": {
		"send the header Authorization: Bearer <key> (what the OpenAI SDKs do with api_key / OPENAI_API_KEY), with base_url pointing at this gateway",
		"请发送请求头 Authorization: Bearer <key>（OpenAI SDK 使用 api_key / OPENAI_API_KEY 时就是这样做的），并让 base_url 指向本网关"},
	"cred.send.anthropic": {
		"send the key as x-api-key: <key> (what the Anthropic SDKs do with api_key / ANTHROPIC_API_KEY) or as Authorization: Bearer <key>",
		"请以 x-api-key: <key> 发送密钥（Anthropic SDK 使用 api_key / ANTHROPIC_API_KEY 时就是这样做的），或使用 Authorization: Bearer <key>"},
	"cred.send.gemini": {
		"send the key as x-goog-api-key: <key> (what the Google GenAI SDKs do with api_key / GEMINI_API_KEY) or as Authorization: Bearer <key>",
		"请以 x-goog-api-key: <key> 发送密钥（Google GenAI SDK 使用 api_key / GEMINI_API_KEY 时就是这样做的），或使用 Authorization: Bearer <key>"},
	"cred.send.admin": {
		"send Authorization: Bearer <token> with a personal access token (kg_pat_…) or the KEYGATE_ADMIN_TOKEN",
		"请发送 Authorization: Bearer <token>，令牌为个人访问令牌（kg_pat_…）或 KEYGATE_ADMIN_TOKEN"},

	"cred.where.anthropic": {"no x-api-key header and no Authorization header", "没有 x-api-key 头，也没有 Authorization 头"},
	"cred.where.gemini":    {"no x-goog-api-key header and no Authorization header", "没有 x-goog-api-key 头，也没有 Authorization 头"},
	"cred.where.default":   {"no Authorization header", "没有 Authorization 头"},

	"cred.elsewhere.api_key": {
		"an api-key header (the Azure OpenAI style), which this gateway does not read",
		"api-key 头（Azure OpenAI 的写法），本网关不读取它"},
	"cred.elsewhere.x_api_key": {
		"an x-api-key header (the Anthropic style), which this route does not read",
		"x-api-key 头（Anthropic 的写法），此路由不读取它"},
	"cred.elsewhere.x_goog_api_key": {
		"an x-goog-api-key header (the Google style), which this route does not read",
		"x-goog-api-key 头（Google 的写法），此路由不读取它"},
	"cred.elsewhere.authentication": {
		"an Authentication header; the header is called Authorization",
		"Authentication 头；正确的头名称是 Authorization"},
	"cred.elsewhere.proxy_authorization": {
		"a Proxy-Authorization header, which is for proxies, not for this gateway",
		"Proxy-Authorization 头，它是给代理服务器用的，不是给本网关的"},
	"cred.elsewhere.x_auth_token": {
		"an X-Auth-Token header, which this gateway does not read",
		"X-Auth-Token 头，本网关不读取它"},

	"cred.missing": {
		"no API key: the request has {where}",
		"没有 API 密钥：请求中{where}"},
	"cred.missing.elsewhere": {
		"no API key: the request has {where}, but a key was sent in {why}",
		"没有 API 密钥：请求中{where}，但密钥被放在了{why}"},
	"cred.missing.url": {
		"no API key: the request has {where}; a key was sent in the URL (?{param}=…), and this gateway never accepts keys from URLs because URLs are written to access logs, proxies and browser history",
		"没有 API 密钥：请求中{where}；密钥被放在了 URL 中（?{param}=…），本网关从不接受 URL 中的密钥，因为 URL 会被写入访问日志、代理和浏览器历史"},
	"cred.missing.url.hint": {
		"{send}; and consider rotating the key: it may already be in URL logs",
		"{send}；并考虑轮换该密钥：它可能已经出现在 URL 日志中"},
	"cred.missing.url.gemini_hint": {
		"send the key in the x-goog-api-key header instead of ?key= (the Google GenAI SDKs do so by default), and consider rotating it: it may already be in URL logs",
		"请把密钥放在 x-goog-api-key 头中，而不是 ?key=（Google GenAI SDK 默认就是这样做的），并考虑轮换该密钥：它可能已经出现在 URL 日志中"},
	"cred.missing.empty": {
		"no API key: the Authorization header is present but empty",
		"没有 API 密钥：Authorization 头存在但为空"},
	"cred.missing.empty.hint": {
		"the variable holding the key is probably empty or unset ({env}); {send}",
		"保存密钥的变量很可能为空或未设置（{env}）；{send}"},

	"cred.two_keys": {
		"two different keys were sent, one in {header} ({first}) and one in Authorization ({second})",
		"发送了两个不同的密钥，一个在 {header}（{first}），一个在 Authorization（{second}）"},
	"cred.two_keys.hint": {
		"send one key, either in {header} or as Authorization: Bearer <key>",
		"只发送一个密钥，放在 {header} 中或以 Authorization: Bearer <key> 发送"},
	"cred.repeated": {
		"the {header} header was sent {n} times with different values",
		"{header} 头被发送了 {n} 次，且值各不相同"},
	"cred.repeated.hint": {
		"send the header once, with one key; check for a proxy or middleware that adds its own",
		"只发送一次该请求头、只带一个密钥；检查是否有代理或中间件自行添加了该头"},

	"cred.expect": {
		"the Authorization header must be: Bearer <key>",
		"Authorization 头必须是：Bearer <key>"},
	"cred.remove_it": {
		"remove it; {expect}",
		"请删除它；{expect}"},
	"cred.remove_quotes": {
		"remove the quotes; {expect}",
		"请去掉引号；{expect}"},
	"cred.send_one": {
		"send one key: {expect}",
		"只发送一个密钥：{expect}"},
	"cred.send_exactly": {
		"send exactly: Bearer <key>",
		"请严格按此发送：Bearer <key>"},
	"cred.copy_again": {
		"copy the key again exactly as it was issued",
		"请按签发时的原样重新复制密钥"},

	"cred.auth.invisible_start": {
		"the Authorization header starts with {char} before the scheme",
		"Authorization 头在认证方案之前以{char}开头"},
	"cred.auth.quoted": {
		"the whole Authorization value is wrapped in quotes",
		"整个 Authorization 值被引号包住了"},
	"cred.auth.repeats_name": {
		"the Authorization value repeats the header name (\"Authorization: Authorization: …\")",
		"Authorization 的值里重复了头名称（\"Authorization: Authorization: …\"）"},
	"cred.auth.repeats_name.hint": {
		"set the header value to Bearer <key> only",
		"请只把头的值设为 Bearer <key>"},
	"cred.auth.bearer_empty": {
		"the Authorization header is \"Bearer\" with no key after it",
		"Authorization 头只有 \"Bearer\"，后面没有密钥"},
	"cred.auth.bearer_empty.hint": {
		"the variable holding the key is probably empty or unset ({env}); set it to your key",
		"保存密钥的变量很可能为空或未设置（{env}）；请把它设为你的密钥"},
	"cred.auth.colon": {
		"the Authorization header has a colon after Bearer",
		"Authorization 头在 Bearer 后面多了一个冒号"},
	"cred.auth.colon.hint": {
		"write Bearer <key> with a single space and no colon",
		"请写成 Bearer <key>：中间一个空格，不要冒号"},
	"cred.auth.scheme": {
		"the Authorization header uses the {scheme} scheme; this gateway accepts only Bearer{extra}",
		"Authorization 头使用了 {scheme} 认证方案；本网关只接受 Bearer{extra}"},
	"cred.auth.basic_key": {
		" (the Basic credentials contain a keygate key)",
		"（Basic 凭据中包含一个 keygate 密钥）"},
	"cred.auth.scheme.hint": {
		"replace \"{scheme}\" with \"Bearer\": {expect}",
		"请把 \"{scheme}\" 换成 \"Bearer\"：{expect}"},
	"cred.auth.basic_key.hint": {
		"send the key itself as Authorization: Bearer <key>, not inside Basic credentials",
		"请直接以 Authorization: Bearer <key> 发送密钥，而不是放在 Basic 凭据里"},
	"cred.auth.basic.hint": {
		"use your keygate key as Authorization: Bearer <key>; user names and passwords are not accepted",
		"请以 Authorization: Bearer <key> 使用你的 keygate 密钥；不接受用户名和密码"},
	"cred.auth.keys_no_scheme": {
		"the Authorization header holds {n} keys and no Bearer scheme; send exactly one key",
		"Authorization 头里有 {n} 个密钥且没有 Bearer 方案；请只发送一个密钥"},
	"cred.auth.no_scheme": {
		"the Authorization header holds a key without the Bearer scheme",
		"Authorization 头里只有密钥，缺少 Bearer 方案"},
	"cred.auth.no_scheme.hint": {
		"put \"Bearer \" in front of the key: {expect}",
		"请在密钥前加上 \"Bearer \"：{expect}"},
	"cred.auth.not_bearer": {
		"the Authorization header is not of the form Bearer <key>",
		"Authorization 头的格式不是 Bearer <key>"},
	"cred.auth.keys": {
		"the Authorization header holds {n} keys; send exactly one",
		"Authorization 头里有 {n} 个密钥；请只发送一个"},
	"cred.auth.no_scheme_more": {
		"the Authorization header holds a key without the Bearer scheme, followed by other text",
		"Authorization 头里的密钥缺少 Bearer 方案，后面还跟着其他文字"},
	"cred.auth.unknown_scheme": {
		"the Authorization header uses an unrecognised scheme; this gateway accepts only Bearer",
		"Authorization 头使用了无法识别的认证方案；本网关只接受 Bearer"},

	"cred.list":       {"{items}", "{items}"},
	"cred.list.sep":   {", ", "、"},
	"cred.sep.spaces": {"{n} spaces", "{n} 个空格"},
	"cred.sep.one": {
		"between Bearer and the key there is {what} instead of a single space",
		"Bearer 与密钥之间是{what}，而不是一个空格"},
	"cred.sep.many": {
		"between Bearer and the key there are {what} instead of a single space",
		"Bearer 与密钥之间是{what}，而不是一个空格"},
	"cred.sep.hint": {
		"send exactly \"Bearer \" followed by the key; check how the header is assembled (string formatting, a copied value)",
		"请严格发送 \"Bearer \" 加密钥；检查请求头是如何拼出来的（字符串格式化、复制来的值）"},

	"cred.bearer_twice": {
		"the Authorization header says Bearer twice (\"Bearer Bearer …\")",
		"Authorization 头里写了两次 Bearer（\"Bearer Bearer …\"）"},
	"cred.bearer_twice.hint": {
		"the client already adds \"Bearer \": set the key variable to the key alone, without \"Bearer\"",
		"客户端已经会自动加上 \"Bearer \"：请把密钥变量设为密钥本身，不要带 \"Bearer\""},
	"cred.label_bearer": {
		"{label} holds \"Bearer <key>\"; it takes the key alone",
		"{label}里是 \"Bearer <key>\"；它只接受密钥本身"},
	"cred.label_bearer.hint": {
		"drop \"Bearer \" from the value of {label}",
		"请从{label}的值中去掉 \"Bearer \""},

	"cred.env.hint": {
		"set {env} (or whatever your client reads the key from) in the environment of the process that sends the request, then restart it",
		"请在发送请求的进程的环境中设置 {env}（或你的客户端读取密钥的其他位置），然后重启该进程"},
	"cred.empty": {
		"{label} is empty: the variable holding the key is not set",
		"{label}为空：保存密钥的变量没有设置"},
	"cred.only_invisible": {
		"{label} holds only quotes or invisible characters: the variable holding the key is not set",
		"{label}里只有引号或不可见字符：保存密钥的变量没有设置"},
	"cred.placeholder": {
		"{label} is {what}, not a key: the environment variable is not set or the placeholder was not replaced",
		"{label}是{what}，不是密钥：环境变量没有设置，或占位符没有被替换"},
	"cred.ph.literal":     {"the literal string {literal}", "字面字符串 {literal}"},
	"cred.ph.var_ref":     {"an unexpanded variable reference (${NAME})", "未展开的变量引用（${NAME}）"},
	"cred.ph.cmd_subst":   {"an unexpanded command substitution ($(…))", "未展开的命令替换（$(…)）"},
	"cred.ph.shell_var":   {"an unexpanded shell variable ($NAME)", "未展开的 shell 变量（$NAME）"},
	"cred.ph.windows_var": {"an unexpanded Windows variable (%NAME%)", "未展开的 Windows 变量（%NAME%）"},
	"cred.ph.template":    {"an unfilled template ({{…}})", "未填写的模板（{{…}}）"},
	"cred.ph.angle":       {"a placeholder (<…>)", "占位符（<…>）"},
	"cred.ph.env_source":  {"the source text of an environment lookup, not its value", "读取环境变量的源代码文本，而不是它的值"},
	"cred.ph.your_key":    {"a placeholder (your-api-key style)", "占位符（your-api-key 之类）"},
	"cred.ph.redacted":    {"a redacted or example key (x's or asterisks)", "打了码的或示例密钥（一串 x 或星号）"},

	"cred.display_form": {
		"{label} is a shortened display form of a key (it contains an ellipsis), not the key itself",
		"{label}是密钥的缩略显示形式（含省略号），不是密钥本身"},
	"cred.display_form.hint": {
		"use the full key; it is shown only once, when it is created or rotated — if it was not saved, rotate the key to get a new one",
		"请使用完整密钥；它只在创建或轮换时显示一次——如果当时没有保存，请轮换密钥以获得新密钥"},
	"cred.many_keys": {
		"{label} holds {n} keys separated by commas or spaces; send exactly one",
		"{label}里有 {n} 个用逗号或空格分隔的密钥；请只发送一个"},
	"cred.many_keys.hint": {
		"send one key per request",
		"每个请求只发送一个密钥"},

	"cred.ws.hint": {
		"remove it: such characters come from copying the key out of a chat, PDF or web page, or from reading a file without trimming the newline (use strip()/trim())",
		"请删除它：这类字符通常来自从聊天、PDF 或网页里复制密钥，或读取文件时没有去掉换行（请使用 strip()/trim()）"},
	"cred.ws.start": {
		"{label} starts with {char} before the key{others}",
		"{label}在密钥前面以{char}开头{others}"},
	"cred.ws.end": {
		"{label} ends with {char} after the key{others}",
		"{label}在密钥后面以{char}结尾{others}"},
	"cred.ws.inside": {
		"{label} contains {char} inside the key at position {pos}{others}",
		"{label}在密钥内部第 {pos} 个字符处含有{char}{others}"},
	"cred.others.one":  {" (and 1 more invisible character)", "（另外还有 1 个不可见字符）"},
	"cred.others.many": {" (and {n} more invisible characters)", "（另外还有 {n} 个不可见字符）"},

	"cred.provider.openrouter":   {"an OpenRouter", "OpenRouter 的"},
	"cred.provider.openai_style": {"an OpenAI-style (OpenAI, DeepSeek or similar)", "OpenAI 风格（OpenAI、DeepSeek 或类似服务）的"},
	"cred.provider.openai":       {"an OpenAI", "OpenAI 的"},
	"cred.provider.anthropic":    {"an Anthropic", "Anthropic 的"},
	"cred.provider.other":        {"a {name}", "{name} 的"},
	"cred.other_provider": {
		"this is {provider} key ({prefix}…), not a keygate key; send a keygate key issued by this gateway",
		"这是{provider}密钥（{prefix}…），不是 keygate 密钥；请发送本网关签发的 keygate 密钥"},
	"cred.other_provider.hint": {
		"this gateway holds the provider credentials itself: use a keygate key (its owner creates one with `keygate keys create`) as the API key, with base_url pointing at the gateway",
		"本网关自己持有各服务商的凭据：请把 keygate 密钥（由网关所有者用 `keygate keys create` 创建）用作 API 密钥，并让 base_url 指向本网关"},
	"cred.prefix_case": {
		"the key prefix must be written {prefix} in lowercase; the rest of the key is case-sensitive",
		"密钥前缀必须写成小写的 {prefix}；密钥其余部分区分大小写"},
	"cred.prefix_case.hint": {
		"copy the key again exactly as it was issued; something changed its letter case",
		"请按签发时的原样重新复制密钥；有什么东西改变了它的大小写"},
	"cred.prefix_dashes": {
		"the key prefix must be {prefix} with underscores, not dashes",
		"密钥前缀必须是带下划线的 {prefix}，不能用连字符"},
	"cred.pat_on_v1": {
		"this is a personal access token (kg_pat_…): personal access tokens authenticate the admin API, not /v1",
		"这是个人访问令牌（kg_pat_…）：个人访问令牌用于管理 API，不能用于 /v1"},
	"cred.pat_on_v1.hint": {
		"use an API key (kg_live_… or kg_test_…) for model requests; create one with `keygate keys create` or POST /admin/v1/keys",
		"模型请求请使用 API 密钥（kg_live_… 或 kg_test_…）；可用 `keygate keys create` 或 POST /admin/v1/keys 创建"},
	"cred.api_key_on_admin": {
		"this is an API key for model requests (/v1), not an admin credential",
		"这是用于模型请求（/v1）的 API 密钥，不是管理凭据"},
	"cred.api_key_on_admin.hint": {
		"the admin API takes a personal access token (kg_pat_…, from `keygate members token`) or the KEYGATE_ADMIN_TOKEN",
		"管理 API 接受个人访问令牌（kg_pat_…，由 `keygate members token` 签发）或 KEYGATE_ADMIN_TOKEN"},
	"cred.extra": {
		"{label} has extra characters around the key",
		"{label}在密钥周围有多余的字符"},
	"cred.extra.hint": {
		"send the key alone",
		"请只发送密钥本身"},
	"cred.not_valid": {
		"{label} is not a valid key",
		"{label}不是有效的密钥"},
	"cred.admin_short": {
		"the token is {n} characters; the admin token is at least {min} characters, and personal access tokens start with kg_pat_",
		"该令牌长 {n} 个字符；管理令牌至少 {min} 个字符，个人访问令牌以 kg_pat_ 开头"},
	"cred.admin_short.hint": {
		"send a personal access token (kg_pat_…) or the full KEYGATE_ADMIN_TOKEN",
		"请发送个人访问令牌（kg_pat_…）或完整的 KEYGATE_ADMIN_TOKEN"},
	"cred.unknown_kg_type": {
		"this is not a known keygate key type: API keys start with kg_live_ or kg_test_",
		"这不是已知的 keygate 密钥类型：API 密钥以 kg_live_ 或 kg_test_ 开头"},
	"cred.not_keygate": {
		"this is not a keygate key: keygate API keys start with kg_live_ or kg_test_",
		"这不是 keygate 密钥：keygate API 密钥以 kg_live_ 或 kg_test_ 开头"},
	"cred.not_keygate.hint": {
		"use a key issued by this gateway (its owner creates one with `keygate keys create`)",
		"请使用本网关签发的密钥（由其所有者用 `keygate keys create` 创建）"},
	"cred.len.short": {
		"the key is {n} characters, expected {m}: it looks truncated (part of it was not copied)",
		"密钥长 {n} 个字符，应为 {m} 个：看起来被截断了（有一部分没有复制上）"},
	"cred.len.short.hint": {
		"copy the whole key again; if it was not saved in full, rotate it to get a new one",
		"请重新复制完整的密钥；如果当时没有完整保存，请轮换密钥以获得新密钥"},
	"cred.len.twice": {
		"the key is {n} characters, expected {m}: it looks pasted twice",
		"密钥长 {n} 个字符，应为 {m} 个：看起来被粘贴了两次"},
	"cred.len.twice.hint": {
		"send the key once",
		"请只发送一遍密钥"},
	"cred.len.long": {
		"the key is {n} characters, expected {m}: extra characters were added to it",
		"密钥长 {n} 个字符，应为 {m} 个：被加上了多余的字符"},
	"cred.bad_char": {
		"{label} contains {char} at position {pos}, which cannot be part of a keygate key (keys use only 0-9, A-Z and a-z after the prefix)",
		"{label}在第 {pos} 个字符处含有{char}，它不可能是 keygate 密钥的一部分（前缀之后只使用 0-9、A-Z 和 a-z）"},
	"cred.checksum": {
		"the key's checksum does not match: one or more characters differ from the key you were given (a typo or a mis-copied character)",
		"密钥的校验和不匹配：有一个或多个字符与你拿到的密钥不同（输错或复制错了字符）"},
	"cred.checksum.hint": {
		"copy the key again from where it was saved rather than retyping it; if it is lost, rotate the key to get a new one",
		"请从保存密钥的地方重新复制，不要手动重新输入；如果密钥已丢失，请轮换密钥以获得新密钥"},

	"cred.quotes.hint": {
		"remove the quotes: they are usually part of a .env line or a shell command, not of the key",
		"请去掉引号：它们通常属于 .env 行或 shell 命令，而不是密钥的一部分"},
	"cred.quoted.both": {
		"{label} is wrapped in {quotes}",
		"{label}被{quotes}包住了"},
	"cred.quoted.mixed": {
		"{label} is wrapped in quotes ({first} before, {last} after)",
		"{label}被引号包住了（前面是{first}，后面是{last}）"},
	"cred.quoted.start": {
		"{label} starts with {quote}",
		"{label}以{quote}开头"},
	"cred.quoted.end": {
		"{label} ends with {quote}",
		"{label}以{quote}结尾"},
	"cred.quote.double":       {"double quotes", "双引号"},
	"cred.quote.single":       {"single quotes", "单引号"},
	"cred.quote.backtick":     {"backticks", "反引号"},
	"cred.quote.typo_double":  {"typographic double quotes", "中文/排版双引号"},
	"cred.quote.typo_single":  {"typographic single quotes", "中文/排版单引号"},
	"cred.quote.angle":        {"angle quotes", "书名号式尖引号"},
	"cred.quote1.double":      {"a double quote", "双引号"},
	"cred.quote1.single":      {"a single quote", "单引号"},
	"cred.quote1.backtick":    {"a backtick", "反引号"},
	"cred.quote1.typo_double": {"a typographic double quote", "中文/排版双引号"},
	"cred.quote1.typo_single": {"a typographic single quote", "中文/排版单引号"},
	"cred.quote1.angle":       {"an angle quote", "书名号式尖引号"},
}

// runeTexts name a character that does not belong in a key, safely
// (credential.describeRune; the English texts are keys.DescribeRune's).
var runeTexts = map[Key]Text{
	"rune.space":        {"a space", "一个空格"},
	"rune.tab":          {"a tab", "一个制表符"},
	"rune.newline":      {"a newline", "一个换行符"},
	"rune.cr":           {"a carriage return", "一个回车符"},
	"rune.nbsp":         {"a no-break space (U+00A0)", "一个不换行空格（U+00A0）"},
	"rune.zwsp":         {"a zero-width space (U+200B)", "一个零宽空格（U+200B）"},
	"rune.zwnj":         {"a zero-width non-joiner (U+200C)", "一个零宽非连接符（U+200C）"},
	"rune.zwj":          {"a zero-width joiner (U+200D)", "一个零宽连接符（U+200D）"},
	"rune.word_joiner":  {"a word joiner (U+2060)", "一个词连接符（U+2060）"},
	"rune.bom":          {"a byte-order mark (U+FEFF)", "一个字节顺序标记（U+FEFF）"},
	"rune.soft_hyphen":  {"a soft hyphen (U+00AD)", "一个软连字符（U+00AD）"},
	"rune.invalid_utf8": {"an invalid UTF-8 byte", "一个无效的 UTF-8 字节"},
	"rune.printable":    {"{char}", "字符 {char}"},
	"rune.whitespace":   {"a whitespace character ({code})", "一个空白字符（{code}）"},
	"rune.control":      {"a control character ({code})", "一个控制字符（{code}）"},
	"rune.format":       {"an invisible formatting character ({code})", "一个不可见的格式字符（{code}）"},
	"rune.other":        {"the character {code}", "字符 {code}"},
}
