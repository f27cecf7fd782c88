// Command gen writes openapi/pave.yaml and internal/endpoint/openapi.json,
// the OpenAPI document of PAVE's API, from the endpoint table and the
// SDK's Go source. Run it from the module root, or give the root with
// -root:
//
//	go run ./internal/openapi/cmd/gen
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pave-go/pave/internal/openapi"
)

func main() {
	root := flag.String("root", ".", "the root of module github.com/pave-go/pave")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	yaml, json, err := openapi.Generate(root)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, openapi.YAMLPath), yaml, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, openapi.JSONPath), json, 0o644)
}
