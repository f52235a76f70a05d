import CablecarDomain

/// The hand-chosen facts behind the bundled SF-like city: which neighborhood sits where,
/// street names, transit lines and venues. `SyntheticCityGenerator` turns them into a
/// `CityDefinition`; keeping them apart lets a reader see the city's shape at a glance.
enum SyntheticCityLayout {
    /// Neighborhood blocks, north row first, west to east. Each block is
    /// `blockColumns` × `blockRows` intersections of one street lattice.
    static let blocks: [[(id: String, name: String, profile: DemandProfile, compact: Bool)]] = [
        [
            ("richmond", "Richmond", .residential, false),
            ("marina", "Marina", .mixed, false),
            ("chinatown", "Chinatown", .mixed, true),
            ("financial-district", "Financial District", .downtown, true),
        ],
        [
            ("sunset", "Sunset", .residential, false),
            ("haight", "Haight", .nightlife, false),
            ("tenderloin", "Tenderloin", .mixed, true),
            ("soma", "SoMa", .downtown, true),
        ],
        [
            ("noe-valley", "Noe Valley", .residential, false),
            ("mission", "Mission", .nightlife, false),
            ("mission-bay", "Mission Bay", .mixed, false),
            ("bayview", "Bayview", .industrial, false),
        ],
    ]
    static let blockColumns = 3
    static let blockRows = 2

    /// East-west streets, one per lattice row (north to south).
    static let rowStreets = ["California", "Geary", "Fulton", "Judah", "Cesar Chavez", "Evans"]
    /// North-south streets, one per lattice column (west to east).
    static let columnStreets = [
        "Arguello", "Park Presidio", "Stanyan", "Divisadero", "Valencia", "Fillmore",
        "Polk", "Van Ness", "Kearny", "Third", "Fourth", "Embarcadero",
    ]

    /// A transit line as a straight walk along one lattice row or column.
    struct Line {
        var id: String
        var name: String
        var axis: Axis
        /// Row (for `.row`) or column (for `.column`) the line runs along.
        var index: Int
        var from: Int
        var to: Int
        var headwayMinutes: Double
    }

    enum Axis { case row, column }

    static let lines: [Line] = [
        Line(id: "38", name: "38 Geary", axis: .row, index: 1, from: 0, to: 11, headwayMinutes: 8),
        Line(id: "1", name: "1 California", axis: .row, index: 1, from: 11, to: 0, headwayMinutes: 10),
        Line(id: "N", name: "N Judah", axis: .row, index: 3, from: 0, to: 11, headwayMinutes: 10),
        Line(id: "49", name: "49 Van Ness-Mission", axis: .row, index: 5, from: 11, to: 0, headwayMinutes: 12),
        Line(id: "14", name: "14 Mission", axis: .column, index: 4, from: 5, to: 0, headwayMinutes: 9),
        Line(id: "22", name: "22 Fillmore", axis: .column, index: 7, from: 0, to: 5, headwayMinutes: 12),
        Line(id: "T", name: "T Third Street", axis: .column, index: 10, from: 5, to: 0, headwayMinutes: 10),
    ]

    /// A venue at one intersection; its segments are the links that enter it.
    struct VenueSite {
        var id: String
        var name: String
        var neighborhood: String
        var x: Int
        var y: Int
        var capacity: Int
    }

    static let venues: [VenueSite] = [
        VenueSite(id: "ballpark", name: "Bayside Ballpark", neighborhood: "soma", x: 10, y: 3, capacity: 41_000),
        VenueSite(id: "arena", name: "Mission Bay Arena", neighborhood: "mission-bay", x: 7, y: 5, capacity: 18_000),
        VenueSite(id: "concert-hall", name: "Civic Concert Hall", neighborhood: "tenderloin", x: 7, y: 3, capacity: 2_700),
        VenueSite(id: "bandshell", name: "Park Bandshell", neighborhood: "haight", x: 4, y: 3, capacity: 12_000),
    ]
}
