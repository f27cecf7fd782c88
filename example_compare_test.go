package pave_test

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/pave-go/pave"
)

// Two inspections of one vehicle, a lease's delivery and its return: the
// return's VIN is masked by PAVE's PII mask, a dent was repaired, a scrape
// got worse and a windshield chip is new.
const (
	compareDeliveryJSON = `{
  "session": {"session_key": "LKH-7Q2M9XK4TB", "inspect_started_at": "2024-03-15T10:02:11+00:00"},
  "vehicle": {"vin": "1HGCV1F39LA012345", "odom_reading": 41250, "odom_unit": "KILOMETRES"},
  "inspection": {"grade": 4, "damages": [
    {"damage_group": "BODY", "component": "DOOR_REAR_LEFT", "damage_name": "SCRAPED_MEDIUM",
     "repair_method": "Refinish", "grade_score": 3, "photo_code": 4},
    {"damage_group": "BODY", "component": "FENDER_FRONT_RIGHT", "damage_name": "DENTED_MINOR",
     "repair_method": "Specialist Repair", "grade_score": 1, "photo_code": 11}]}
}`
	compareReturnJSON = `{
  "session": {"session_key": "LKH-9R4N2WJ6TC", "inspect_started_at": "2025-03-14T16:40:00+00:00"},
  "vehicle": {"vin": "1HGCV1F39LAXXXXXX", "odom_reading": "58,930", "odom_unit": "KILOMETRES"},
  "inspection": {"grade": 3, "damages": [
    {"damage_group": "BODY", "component": "DOOR_REAR_LEFT", "damage_name": "SCRAPED_MAJOR",
     "repair_method": "Repair & Refinish", "grade_score": 4, "photo_code": 4},
    {"damage_group": "GLASS", "component": "WINDSHIELD_FRONT_UNIQUE", "damage_name": "CHIPPED_MINOR",
     "repair_method": "Glass Repair", "grade_score": 1, "photo_code": 9}]}
}`
)

func ExampleCompareResults() {
	var delivery, lease pave.Results
	if err := json.Unmarshal([]byte(compareDeliveryJSON), &delivery); err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal([]byte(compareReturnJSON), &lease); err != nil {
		log.Fatal(err)
	}
	c, err := pave.CompareResults(&delivery, &lease)
	if err != nil {
		log.Fatal(err) // errors.Is(err, pave.ErrValidation): another vehicle, or the wrong order
	}
	fmt.Println(c)
	fmt.Println("VIN:", c.VIN)
	for _, d := range c.New {
		fmt.Println("new:", d.Component, d.DamageName)
	}
	for _, d := range c.Repaired {
		fmt.Println("repaired:", d.Component, d.DamageName)
	}
	for _, ch := range c.Worsened {
		fmt.Println("worse:", ch.After.Component, ch.Before.DamageName, "->", ch.After.DamageName)
	}
	// Output:
	// 1 new, 1 repaired, 1 worse, 0 better, 0 unchanged; grade 4 -> 3; odometer +17680 KILOMETRES
	// VIN: 1HGCV1F39LAXXXXXX
	// new: WINDSHIELD_FRONT_UNIQUE CHIPPED_MINOR
	// repaired: FENDER_FRONT_RIGHT DENTED_MINOR
	// worse: DOOR_REAR_LEFT SCRAPED_MEDIUM -> SCRAPED_MAJOR
}
