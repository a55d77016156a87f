// A STAND-IN for `helm template`, because there is no helm binary here: Go's text/template
// with sprig — the engine Helm itself uses — plus the Helm built-ins this chart calls:
// include, tpl, required, toYaml, .Values (values.yaml deep-merged with an optional
// override file), .Release (name and namespace from the arguments, Service "Helm"),
// .Chart (Name, Version, AppVersion from Chart.yaml), .Template (Name, BasePath),
// .Files.Get, and "<no value>" blanked as Helm does.
//
// Not here: subcharts and dependencies, hooks, lookup, .Capabilities, values.schema.json
// validation, fromYaml/toToml and the other rarely used built-ins, NOTES.txt.
//
// go build (GOPATH mode, Debian's packages): GO111MODULE=off GOPATH=/usr/share/gocode go build -o render render.go
// usage: render <chart dir> <release> <namespace> [override values file]
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type files struct{ dir string }

func (f files) Get(name string) string {
	b, err := os.ReadFile(filepath.Join(f.dir, name))
	if err != nil {
		return ""
	}
	return string(b)
}

func readYaml(path string) map[string]interface{} {
	out := map[string]interface{}{}
	b, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	if err := yaml.Unmarshal(b, &out); err != nil {
		fail(fmt.Errorf("%s: %w", path, err))
	}
	return out
}

func merge(base, over map[string]interface{}) map[string]interface{} {
	for k, v := range over {
		if bm, ok := base[k].(map[string]interface{}); ok {
			if om, ok := v.(map[string]interface{}); ok {
				base[k] = merge(bm, om)
				continue
			}
		}
		base[k] = v
	}
	return base
}

func toYaml(v interface{}) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "render:", err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 4 {
		fail(errors.New("usage: render <chart dir> <release> <namespace> [values file]"))
	}
	dir, release, namespace := os.Args[1], os.Args[2], os.Args[3]
	values := readYaml(filepath.Join(dir, "values.yaml"))
	if len(os.Args) > 4 {
		values = merge(values, readYaml(os.Args[4]))
	}
	chart := readYaml(filepath.Join(dir, "Chart.yaml"))
	name := fmt.Sprint(chart["name"])
	base := name + "/templates"

	var t *template.Template
	funcs := sprig.TxtFuncMap()
	funcs["toYaml"] = toYaml
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		parsed, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = parsed.Execute(&buf, data)
		return buf.String(), err
	}
	t = template.New(name).Funcs(funcs).Option("missingkey=zero")
	paths, _ := filepath.Glob(filepath.Join(dir, "templates", "*"))
	sort.Strings(paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			fail(err)
		}
		if _, err := t.New(base + "/" + filepath.Base(p)).Parse(string(b)); err != nil {
			fail(err)
		}
	}
	for _, p := range paths {
		file := filepath.Base(p)
		if strings.HasPrefix(file, "_") || strings.HasSuffix(file, ".txt") {
			continue
		}
		data := map[string]interface{}{
			"Values":   values,
			"Release":  map[string]interface{}{"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": true},
			"Chart":    map[string]interface{}{"Name": name, "Version": chart["version"], "AppVersion": chart["appVersion"]},
			"Template": map[string]interface{}{"Name": base + "/" + file, "BasePath": base},
			"Files":    files{dir},
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, base+"/"+file, data); err != nil {
			fail(err)
		}
		out := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.TrimSpace(out) == "" {
			continue
		}
		fmt.Printf("---\n# Source: %s/%s\n%s\n", base, file, strings.TrimSpace(out))
	}
}
