package nlu

// Intent is what a citizen wants from the hotline in one message.
type Intent string

// The intents the classifier knows. The codes are part of the public
// contract (tickets and routing store them): never rename them.
const (
	IntentGreeting    Intent = "greeting"
	IntentThanksBye   Intent = "thanks_bye"
	IntentReport      Intent = "report"       // a new complaint or petition (phản ánh, kiến nghị)
	IntentAskInfo     Intent = "ask_info"     // how, where, which papers for a procedure
	IntentCheckStatus Intent = "check_status" // progress of an existing case
	IntentTalkToAgent Intent = "talk_to_agent"
	IntentEmergency   Intent = "emergency" // fire, accident, crime in progress, medical emergency
	IntentOutOfScope  Intent = "out_of_scope"
)

// Category is the public-service domain of a report or a question.
type Category string

// The categories the classifier knows. CategoryNone ("-") is used for
// intents that carry no category.
const (
	CategoryNone             Category = "-"
	CategoryRoadsTraffic     Category = "roads_traffic"
	CategoryFloodingDrainage Category = "flooding_drainage"
	CategoryElectricity      Category = "electricity"
	CategoryWaterSupply      Category = "water_supply"
	CategoryEnvironment      Category = "environment"
	CategoryUrbanOrder       Category = "urban_order"
	CategoryLandHousing      Category = "land_housing"
	CategoryCivilStatus      Category = "civil_status"
	CategoryBusiness         Category = "business"
	CategoryHealth           Category = "health"
	CategoryEducation        Category = "education"
	CategorySocialWelfare    Category = "social_welfare"
	CategorySecurityOrder    Category = "security_order"
	CategoryPublicService    Category = "public_service"
	CategoryOther            Category = "other"
)

// Intents lists every intent in the fixed order used by the model's output layer.
var Intents = []Intent{
	IntentGreeting, IntentThanksBye, IntentReport, IntentAskInfo,
	IntentCheckStatus, IntentTalkToAgent, IntentEmergency, IntentOutOfScope,
}

// Categories lists every real category (CategoryNone excluded) in the fixed
// order used by the model's output layer.
var Categories = []Category{
	CategoryRoadsTraffic, CategoryFloodingDrainage, CategoryElectricity,
	CategoryWaterSupply, CategoryEnvironment, CategoryUrbanOrder,
	CategoryLandHousing, CategoryCivilStatus, CategoryBusiness, CategoryHealth,
	CategoryEducation, CategorySocialWelfare, CategorySecurityOrder,
	CategoryPublicService, CategoryOther,
}

// HasCategory reports whether messages of intent i carry a category
// (only reports and questions do).
func (i Intent) HasCategory() bool {
	return i == IntentReport || i == IntentAskInfo
}

// Valid reports whether i is one of Intents.
func (i Intent) Valid() bool { return indexOf(Intents, i) >= 0 }

// Valid reports whether c is one of Categories or CategoryNone.
func (c Category) Valid() bool { return c == CategoryNone || indexOf(Categories, c) >= 0 }

func indexOf[T comparable](list []T, v T) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}
