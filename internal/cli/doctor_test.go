package cli

import (
	"testing"

	"github.com/keygate/keygate/internal/i18n"
)

// doctor's language: KEYGATE_LANG first, then the locale in POSIX order.
func TestDoctorLang(t *testing.T) {
	for _, tc := range []struct {
		keygate, lcAll, lcMessages, lang string
		want                             i18n.Lang
	}{
		{want: i18n.EN},
		{lang: "zh_CN.UTF-8", want: i18n.ZH},
		{lang: "en_US.UTF-8", want: i18n.EN},
		{lcAll: "zh_CN.UTF-8", lang: "en_US.UTF-8", want: i18n.ZH},
		{lcAll: "C", lang: "zh_CN.UTF-8", want: i18n.EN},
		{lcMessages: "zh_CN.UTF-8", lang: "en_US.UTF-8", want: i18n.ZH},
		{keygate: "en", lcAll: "zh_CN.UTF-8", want: i18n.EN},
		{keygate: "zh-CN", lang: "en_US.UTF-8", want: i18n.ZH},
		{keygate: "zh", want: i18n.ZH},
		{keygate: "fr", lang: "zh_CN.UTF-8", want: i18n.EN}, // an explicit choice we lack is English
	} {
		t.Setenv("KEYGATE_LANG", tc.keygate)
		t.Setenv("LC_ALL", tc.lcAll)
		t.Setenv("LC_MESSAGES", tc.lcMessages)
		t.Setenv("LANG", tc.lang)
		if got := cliLang(); got != tc.want {
			t.Errorf("%+v: cliLang() = %s, want %s", tc, got, tc.want)
		}
	}
}
