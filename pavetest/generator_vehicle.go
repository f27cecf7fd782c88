package pavetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/pave-go/pave"
)

// vehicleModel is one entry of the generator's small catalogue.
type vehicleModel struct {
	make, model, wmi, body string
	trims                  []string
	drivetrain, engine     string
	fuel                   string
}

var catalogue = []vehicleModel{
	{"Honda", "Accord", "1HG", "Sedan 4 Dr.", []string{"LX", "Sport 1.5T", "EX-L", "Touring 2.0T"}, "Front Wheel Drive", "4 Cylinder Engine", "Gasoline Fuel"},
	{"Toyota", "Camry", "4T1", "Sedan 4 Dr.", []string{"LE", "SE", "XLE", "XSE"}, "Front Wheel Drive", "4 Cylinder Engine", "Gasoline Fuel"},
	{"Toyota", "RAV4", "2T3", "Sport Utility 4 Dr.", []string{"LE", "XLE", "Limited", "XSE Hybrid"}, "All Wheel Drive", "4 Cylinder Engine", "Gasoline Fuel"},
	{"Ford", "F-150", "1FT", "Crew Cab Pickup 4 Dr.", []string{"XL", "XLT", "Lariat", "Platinum"}, "Four Wheel Drive", "6 Cylinder Engine", "Gasoline Fuel"},
	{"Chevrolet", "Silverado 1500", "1GC", "Crew Cab Pickup 4 Dr.", []string{"WT", "LT", "RST", "High Country"}, "Four Wheel Drive", "8 Cylinder Engine", "Gasoline Fuel"},
	{"Tesla", "Model 3", "5YJ", "Sedan 4 Dr.", []string{"Standard Range Plus", "Long Range", "Performance"}, "Rear Wheel Drive", "Electric Motor", "Electric"},
	{"BMW", "3 Series", "WBA", "Sedan 4 Dr.", []string{"330i", "330i xDrive", "M340i"}, "All Wheel Drive", "4 Cylinder Engine", "Premium Gasoline Fuel"},
	{"Volkswagen", "Jetta", "3VW", "Sedan 4 Dr.", []string{"S", "SE", "SEL"}, "Front Wheel Drive", "4 Cylinder Engine", "Gasoline Fuel"},
	{"Hyundai", "Elantra", "KMH", "Sedan 4 Dr.", []string{"SE", "SEL", "Limited"}, "Front Wheel Drive", "4 Cylinder Engine", "Gasoline Fuel"},
	{"Nissan", "Rogue", "JN8", "Sport Utility 4 Dr.", []string{"S", "SV", "SL"}, "All Wheel Drive", "4 Cylinder Engine", "Gasoline Fuel"},
	{"Subaru", "Outback", "4S4", "Wagon 4 Dr.", []string{"Premium", "Limited", "Onyx Edition XT"}, "All Wheel Drive", "4 Cylinder Engine", "Gasoline Fuel"},
	{"Mazda", "CX-5", "JM3", "Sport Utility 4 Dr.", []string{"Sport", "Touring", "Grand Touring"}, "All Wheel Drive", "4 Cylinder Engine", "Gasoline Fuel"},
}

var (
	extColours = []string{"Platinum White Pearl", "Crystal Black Pearl", "Magnetic Gray Metallic", "Celestial Silver Metallic",
		"Radiant Red", "Midnight Blue Metallic", "Summit White", "Oxford White"}
	intColours = []string{"Black", "Gray", "Beige", "Ivory", "Brown"}
)

// vinAlphabet is the VIN character set: digits and letters except I, O, Q.
const vinAlphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"

// vinYearCodes maps model years 2010-2025 to the tenth VIN character.
const vinYearCodes = "ABCDEFGHJKLMNPRS"

var vinWeights = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// vinLetterValues transliterates the letters of vinAlphabet, in its
// order, to digits (ISO 3779 / 49 CFR 565).
const vinLetterValues = "12345678123457923456789"

// vinValue transliterates a VIN character.
func vinValue(c byte) int {
	switch i := strings.IndexByte(vinAlphabet, c); {
	case i < 0:
		return -1
	case i < len(vinLetterValues):
		return int(vinLetterValues[i] - '0')
	}
	return int(c - '0')
}

// vinCheckDigit computes the ninth character of a 17-character VIN.
func vinCheckDigit(vin string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += vinValue(vin[i]) * vinWeights[i]
	}
	if d := sum % 11; d < 10 {
		return byte('0' + d)
	}
	return 'X'
}

// generateVIN builds a VIN for the model and year with a valid check digit.
func generateVIN(r *rand.Rand, wmi string, year int) string {
	b := []byte(wmi + randString(r, vinAlphabet, 5) + "0")
	b = append(b, vinYearCodes[(year-2010)%len(vinYearCodes)])
	b = append(b, randString(r, vinAlphabet, 1)...)
	b = append(b, fmt.Sprintf("%06d", r.IntN(1000000))...)
	b[8] = vinCheckDigit(string(b))
	return string(b)
}

// generateVehicle returns a plausible decoded vehicle. When the integrator
// already sent a VIN, the decode agrees with it as a real decoder would: the
// make and model come from its manufacturer code (WMI, first three
// characters) when the catalogue knows it, and the model year from its
// tenth character.
func generateVehicle(r *rand.Rand, knownVIN string) pave.Vehicle {
	m := catalogue[r.IntN(len(catalogue))]
	year := 2012 + r.IntN(13)
	if len(knownVIN) == 17 {
		for _, c := range catalogue {
			if strings.HasPrefix(knownVIN, c.wmi) {
				m = c
				break
			}
		}
		if i := strings.IndexByte(vinYearCodes, knownVIN[9]); i >= 0 {
			year = 2010 + i
		}
	}
	unit := pave.Kilometres
	if r.IntN(10) < 4 {
		unit = pave.Miles
	}
	return pave.Vehicle{
		VIN:          generateVIN(r, m.wmi, year),
		Year:         pave.Int(year),
		Make:         m.make,
		Model:        m.model,
		BodyType:     m.body,
		Trim:         m.trims[r.IntN(len(m.trims))],
		Transmission: "AUTOMATIC",
		Drivetrain:   m.drivetrain,
		EngineType:   m.engine,
		FuelType:     m.fuel,
		ExtCol:       extColours[r.IntN(len(extColours))],
		IntCol:       intColours[r.IntN(len(intColours))],
		OdomReading:  pave.Int(5000 + r.IntN(175000)),
		OdomUnit:     unit,
	}
}

// photoURL is an image URL in the observed images-cdn format.
func photoURL(r *rand.Rand, key string, code pave.PhotoCode) string {
	prefix := key
	if len(prefix) > 3 {
		prefix = prefix[:3]
	}
	return fmt.Sprintf("https://images-cdn.paveapi.com/%s/%s/%s_%02d_%s.jpg", prefix, key, key, int(code), randString(r, upperNum, 3))
}

type city struct {
	name     string
	lat, lng float64
}

var cities = []city{
	{"Toronto, ON", 43.6532, -79.3832}, {"Vancouver, BC", 49.2827, -123.1207},
	{"Montreal, QC", 45.5017, -73.5673}, {"Calgary, AB", 51.0447, -114.0719},
	{"New York, NY", 40.7128, -74.0060}, {"Chicago, IL", 41.8781, -87.6298},
	{"Austin, TX", 30.2672, -97.7431}, {"Miami, FL", 25.7617, -80.1918},
	{"Los Angeles, CA", 34.0522, -118.2437}, {"Seattle, WA", 47.6062, -122.3321},
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

var (
	firstNames = []string{"Sam", "Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie"}
	lastNames  = []string{"Ortiz", "Nguyen", "Patel", "Smith", "Garcia", "Kim", "Brown", "Lopez"}
)
