-- 00002_countries.sql — country reference data for CyberCampus.
--
-- SOURCES (state of the lists as applied on 2026-11-22)
--   * Codes and names: ISO 3166-1 alpha-2, all 249 officially assigned codes
--     (user-assigned/reserved codes such as XK "Kosovo" are NOT included).
--     Names are the ISO 3166-1 English short names as distributed in Debian
--     iso-codes 4.15.0 (ISO Maintenance Agency "comma" form, e.g.
--     'Korea, Republic of', 'Bolivia, Plurinational State of', 'Türkiye').
--   * Regions: the six ITU-D (BDT) regions: africa, americas, arab_states,
--     asia_pacific, cis, europe.
--   * Flags: UN-OHRLLS lists of Least Developed Countries (LDC), Small Island
--     Developing States (SIDS) and Landlocked Developing Countries (LLDC).
--
-- REGION RULES
--   1. ITU Member States (193) use the ITU-D assignment:
--        africa 44 (sub-Saharan Africa), americas 35, arab_states 21,
--        asia_pacific 38, cis 10, europe 45.
--      arab_states = Algeria, Bahrain, Comoros, Djibouti, Egypt, Iraq, Jordan,
--        Kuwait, Lebanon, Libya, Mauritania, Morocco, Oman, Qatar, Saudi Arabia,
--        Somalia, Sudan, Syria, Tunisia, United Arab Emirates, Yemen (21 ITU
--        Member States) + Palestine (ITU observer) -> 22 rows, + Western Sahara.
--      cis = Armenia, Azerbaijan, Belarus, Kazakhstan, Kyrgyzstan, Moldova,
--        Russian Federation, Tajikistan, Turkmenistan, Uzbekistan.
--        Georgia and Ukraine are in ITU's europe region; so are Israel,
--        Cyprus and Türkiye.
--   2. Everything that is not an ITU Member State (territories, Palestine,
--      Palau, Taiwan, Cook Islands, Niue, Antarctica ...) gets the ITU-D region
--      of where it lies geographically, i.e. the region of the neighbouring
--      member states (the administering state's region only when it lies in
--      the same area):
--        - Caribbean, Bermuda, Saint Pierre and Miquelon, French Guiana,
--          Falklands and South Georgia -> americas (incl. Puerto Rico,
--          Aruba, Curaçao, Sint Maarten, Bonaire, Guadeloupe, Martinique);
--        - Pacific islands, Hong Kong, Macao, Taiwan, Palau, Christmas and
--          Cocos Islands, British Indian Ocean Territory (nearest neighbours
--          Maldives/Sri Lanka), Heard and McDonald (Australian) and
--          US Minor Outlying Islands (almost all in the Pacific) -> asia_pacific;
--        - Réunion, Mayotte, Saint Helena, French Southern Territories
--          (administered from Réunion; Scattered Islands around Madagascar)
--          and Bouvet Island (South Atlantic, nearest land South Africa) -> africa;
--        - Western Sahara and Palestine -> arab_states;
--        - Åland, Faroe, Guernsey, Jersey, Isle of Man, Gibraltar, Svalbard and
--          Jan Mayen, and Greenland (part of the Kingdom of Denmark, follows
--          Denmark) -> europe;
--        - Antarctica -> asia_pacific (convention; it is in no ITU-D region).
--
-- FLAG RULES (UN-OHRLLS)
--   * ldc (44): the UN LDC list in force on 2026-11-22. Bhutan (graduated
--     13 Dec 2023) and São Tomé and Príncipe (13 Dec 2024) are NOT LDCs.
--     Bangladesh, Lao PDR and Nepal are scheduled to graduate on 24 Nov 2026;
--     they are still on the list at the date applied here, so they are kept
--     as ldc = true. Once their graduation takes effect, a later migration must
--     set ldc = false for BD, LA, NP (and change the count asserted below).
--     Solomon Islands (graduation scheduled Dec 2027) stays ldc = true.
--     Angola stays on the list (its graduation was deferred).
--   * sids (57): the full UN-OHRLLS SIDS list = 39 States + 18 associate
--     members of UN regional commissions. The 39 States are 37 UN Member
--     States plus Cook Islands and Niue; the 18 associate members are
--     American Samoa, Anguilla, Aruba, Bermuda, British Virgin Islands,
--     Cayman Islands, Curaçao, French Polynesia, Guadeloupe, Guam, Martinique,
--     Montserrat, New Caledonia, Northern Mariana Islands, Puerto Rico,
--     Sint Maarten, Turks and Caicos Islands, US Virgin Islands. Non-UN
--     members ARE flagged (20 rows). Bahrain, on older UN DESA lists but
--     not an AOSIS member and not on the current OHRLLS list, is NOT flagged.
--     Low-lying coastal states on the list (Belize, Guyana, Suriname,
--     Guinea-Bissau) are flagged.
--   * lldc (32): the 32 landlocked developing countries (UN-OHRLLS).
--
-- The DO block at the end of Up fails the migration if the counts differ.

-- +goose Up
CREATE TABLE countries (
    code   char(2) PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),
    name   text    NOT NULL,
    region text    NOT NULL CHECK (region IN ('africa','americas','arab_states','asia_pacific','cis','europe')),
    ldc    boolean NOT NULL DEFAULT false,
    sids   boolean NOT NULL DEFAULT false,
    lldc   boolean NOT NULL DEFAULT false
);

INSERT INTO countries (code, name, region, ldc, sids, lldc) VALUES
('AD','Andorra','europe',false,false,false),
('AE','United Arab Emirates','arab_states',false,false,false),
('AF','Afghanistan','asia_pacific',true,false,true),
('AG','Antigua and Barbuda','americas',false,true,false),
('AI','Anguilla','americas',false,true,false),
('AL','Albania','europe',false,false,false),
('AM','Armenia','cis',false,false,true),
('AO','Angola','africa',true,false,false),
('AQ','Antarctica','asia_pacific',false,false,false),
('AR','Argentina','americas',false,false,false),
('AS','American Samoa','asia_pacific',false,true,false),
('AT','Austria','europe',false,false,false),
('AU','Australia','asia_pacific',false,false,false),
('AW','Aruba','americas',false,true,false),
('AX','Åland Islands','europe',false,false,false),
('AZ','Azerbaijan','cis',false,false,true),
('BA','Bosnia and Herzegovina','europe',false,false,false),
('BB','Barbados','americas',false,true,false),
('BD','Bangladesh','asia_pacific',true,false,false),
('BE','Belgium','europe',false,false,false),
('BF','Burkina Faso','africa',true,false,true),
('BG','Bulgaria','europe',false,false,false),
('BH','Bahrain','arab_states',false,false,false),
('BI','Burundi','africa',true,false,true),
('BJ','Benin','africa',true,false,false),
('BL','Saint Barthélemy','americas',false,false,false),
('BM','Bermuda','americas',false,true,false),
('BN','Brunei Darussalam','asia_pacific',false,false,false),
('BO','Bolivia, Plurinational State of','americas',false,false,true),
('BQ','Bonaire, Sint Eustatius and Saba','americas',false,false,false),
('BR','Brazil','americas',false,false,false),
('BS','Bahamas','americas',false,true,false),
('BT','Bhutan','asia_pacific',false,false,true),
('BV','Bouvet Island','africa',false,false,false),
('BW','Botswana','africa',false,false,true),
('BY','Belarus','cis',false,false,false),
('BZ','Belize','americas',false,true,false),
('CA','Canada','americas',false,false,false),
('CC','Cocos (Keeling) Islands','asia_pacific',false,false,false),
('CD','Congo, The Democratic Republic of the','africa',true,false,false),
('CF','Central African Republic','africa',true,false,true),
('CG','Congo','africa',false,false,false),
('CH','Switzerland','europe',false,false,false),
('CI','Côte d''Ivoire','africa',false,false,false),
('CK','Cook Islands','asia_pacific',false,true,false),
('CL','Chile','americas',false,false,false),
('CM','Cameroon','africa',false,false,false),
('CN','China','asia_pacific',false,false,false),
('CO','Colombia','americas',false,false,false),
('CR','Costa Rica','americas',false,false,false),
('CU','Cuba','americas',false,true,false),
('CV','Cabo Verde','africa',false,true,false),
('CW','Curaçao','americas',false,true,false),
('CX','Christmas Island','asia_pacific',false,false,false),
('CY','Cyprus','europe',false,false,false),
('CZ','Czechia','europe',false,false,false),
('DE','Germany','europe',false,false,false),
('DJ','Djibouti','arab_states',true,false,false),
('DK','Denmark','europe',false,false,false),
('DM','Dominica','americas',false,true,false),
('DO','Dominican Republic','americas',false,true,false),
('DZ','Algeria','arab_states',false,false,false),
('EC','Ecuador','americas',false,false,false),
('EE','Estonia','europe',false,false,false),
('EG','Egypt','arab_states',false,false,false),
('EH','Western Sahara','arab_states',false,false,false),
('ER','Eritrea','africa',true,false,false),
('ES','Spain','europe',false,false,false),
('ET','Ethiopia','africa',true,false,true),
('FI','Finland','europe',false,false,false),
('FJ','Fiji','asia_pacific',false,true,false),
('FK','Falkland Islands (Malvinas)','americas',false,false,false),
('FM','Micronesia, Federated States of','asia_pacific',false,true,false),
('FO','Faroe Islands','europe',false,false,false),
('FR','France','europe',false,false,false),
('GA','Gabon','africa',false,false,false),
('GB','United Kingdom','europe',false,false,false),
('GD','Grenada','americas',false,true,false),
('GE','Georgia','europe',false,false,false),
('GF','French Guiana','americas',false,false,false),
('GG','Guernsey','europe',false,false,false),
('GH','Ghana','africa',false,false,false),
('GI','Gibraltar','europe',false,false,false),
('GL','Greenland','europe',false,false,false),
('GM','Gambia','africa',true,false,false),
('GN','Guinea','africa',true,false,false),
('GP','Guadeloupe','americas',false,true,false),
('GQ','Equatorial Guinea','africa',false,false,false),
('GR','Greece','europe',false,false,false),
('GS','South Georgia and the South Sandwich Islands','americas',false,false,false),
('GT','Guatemala','americas',false,false,false),
('GU','Guam','asia_pacific',false,true,false),
('GW','Guinea-Bissau','africa',true,true,false),
('GY','Guyana','americas',false,true,false),
('HK','Hong Kong','asia_pacific',false,false,false),
('HM','Heard Island and McDonald Islands','asia_pacific',false,false,false),
('HN','Honduras','americas',false,false,false),
('HR','Croatia','europe',false,false,false),
('HT','Haiti','americas',true,true,false),
('HU','Hungary','europe',false,false,false),
('ID','Indonesia','asia_pacific',false,false,false),
('IE','Ireland','europe',false,false,false),
('IL','Israel','europe',false,false,false),
('IM','Isle of Man','europe',false,false,false),
('IN','India','asia_pacific',false,false,false),
('IO','British Indian Ocean Territory','asia_pacific',false,false,false),
('IQ','Iraq','arab_states',false,false,false),
('IR','Iran, Islamic Republic of','asia_pacific',false,false,false),
('IS','Iceland','europe',false,false,false),
('IT','Italy','europe',false,false,false),
('JE','Jersey','europe',false,false,false),
('JM','Jamaica','americas',false,true,false),
('JO','Jordan','arab_states',false,false,false),
('JP','Japan','asia_pacific',false,false,false),
('KE','Kenya','africa',false,false,false),
('KG','Kyrgyzstan','cis',false,false,true),
('KH','Cambodia','asia_pacific',true,false,false),
('KI','Kiribati','asia_pacific',true,true,false),
('KM','Comoros','arab_states',true,true,false),
('KN','Saint Kitts and Nevis','americas',false,true,false),
('KP','Korea, Democratic People''s Republic of','asia_pacific',false,false,false),
('KR','Korea, Republic of','asia_pacific',false,false,false),
('KW','Kuwait','arab_states',false,false,false),
('KY','Cayman Islands','americas',false,true,false),
('KZ','Kazakhstan','cis',false,false,true),
('LA','Lao People''s Democratic Republic','asia_pacific',true,false,true),
('LB','Lebanon','arab_states',false,false,false),
('LC','Saint Lucia','americas',false,true,false),
('LI','Liechtenstein','europe',false,false,false),
('LK','Sri Lanka','asia_pacific',false,false,false),
('LR','Liberia','africa',true,false,false),
('LS','Lesotho','africa',true,false,true),
('LT','Lithuania','europe',false,false,false),
('LU','Luxembourg','europe',false,false,false),
('LV','Latvia','europe',false,false,false),
('LY','Libya','arab_states',false,false,false),
('MA','Morocco','arab_states',false,false,false),
('MC','Monaco','europe',false,false,false),
('MD','Moldova, Republic of','cis',false,false,true),
('ME','Montenegro','europe',false,false,false),
('MF','Saint Martin (French part)','americas',false,false,false),
('MG','Madagascar','africa',true,false,false),
('MH','Marshall Islands','asia_pacific',false,true,false),
('MK','North Macedonia','europe',false,false,true),
('ML','Mali','africa',true,false,true),
('MM','Myanmar','asia_pacific',true,false,false),
('MN','Mongolia','asia_pacific',false,false,true),
('MO','Macao','asia_pacific',false,false,false),
('MP','Northern Mariana Islands','asia_pacific',false,true,false),
('MQ','Martinique','americas',false,true,false),
('MR','Mauritania','arab_states',true,false,false),
('MS','Montserrat','americas',false,true,false),
('MT','Malta','europe',false,false,false),
('MU','Mauritius','africa',false,true,false),
('MV','Maldives','asia_pacific',false,true,false),
('MW','Malawi','africa',true,false,true),
('MX','Mexico','americas',false,false,false),
('MY','Malaysia','asia_pacific',false,false,false),
('MZ','Mozambique','africa',true,false,false),
('NA','Namibia','africa',false,false,false),
('NC','New Caledonia','asia_pacific',false,true,false),
('NE','Niger','africa',true,false,true),
('NF','Norfolk Island','asia_pacific',false,false,false),
('NG','Nigeria','africa',false,false,false),
('NI','Nicaragua','americas',false,false,false),
('NL','Netherlands','europe',false,false,false),
('NO','Norway','europe',false,false,false),
('NP','Nepal','asia_pacific',true,false,true),
('NR','Nauru','asia_pacific',false,true,false),
('NU','Niue','asia_pacific',false,true,false),
('NZ','New Zealand','asia_pacific',false,false,false),
('OM','Oman','arab_states',false,false,false),
('PA','Panama','americas',false,false,false),
('PE','Peru','americas',false,false,false),
('PF','French Polynesia','asia_pacific',false,true,false),
('PG','Papua New Guinea','asia_pacific',false,true,false),
('PH','Philippines','asia_pacific',false,false,false),
('PK','Pakistan','asia_pacific',false,false,false),
('PL','Poland','europe',false,false,false),
('PM','Saint Pierre and Miquelon','americas',false,false,false),
('PN','Pitcairn','asia_pacific',false,false,false),
('PR','Puerto Rico','americas',false,true,false),
('PS','Palestine, State of','arab_states',false,false,false),
('PT','Portugal','europe',false,false,false),
('PW','Palau','asia_pacific',false,true,false),
('PY','Paraguay','americas',false,false,true),
('QA','Qatar','arab_states',false,false,false),
('RE','Réunion','africa',false,false,false),
('RO','Romania','europe',false,false,false),
('RS','Serbia','europe',false,false,false),
('RU','Russian Federation','cis',false,false,false),
('RW','Rwanda','africa',true,false,true),
('SA','Saudi Arabia','arab_states',false,false,false),
('SB','Solomon Islands','asia_pacific',true,true,false),
('SC','Seychelles','africa',false,true,false),
('SD','Sudan','arab_states',true,false,false),
('SE','Sweden','europe',false,false,false),
('SG','Singapore','asia_pacific',false,true,false),
('SH','Saint Helena, Ascension and Tristan da Cunha','africa',false,false,false),
('SI','Slovenia','europe',false,false,false),
('SJ','Svalbard and Jan Mayen','europe',false,false,false),
('SK','Slovakia','europe',false,false,false),
('SL','Sierra Leone','africa',true,false,false),
('SM','San Marino','europe',false,false,false),
('SN','Senegal','africa',true,false,false),
('SO','Somalia','arab_states',true,false,false),
('SR','Suriname','americas',false,true,false),
('SS','South Sudan','africa',true,false,true),
('ST','Sao Tome and Principe','africa',false,true,false),
('SV','El Salvador','americas',false,false,false),
('SX','Sint Maarten (Dutch part)','americas',false,true,false),
('SY','Syrian Arab Republic','arab_states',false,false,false),
('SZ','Eswatini','africa',false,false,true),
('TC','Turks and Caicos Islands','americas',false,true,false),
('TD','Chad','africa',true,false,true),
('TF','French Southern Territories','africa',false,false,false),
('TG','Togo','africa',true,false,false),
('TH','Thailand','asia_pacific',false,false,false),
('TJ','Tajikistan','cis',false,false,true),
('TK','Tokelau','asia_pacific',false,false,false),
('TL','Timor-Leste','asia_pacific',true,true,false),
('TM','Turkmenistan','cis',false,false,true),
('TN','Tunisia','arab_states',false,false,false),
('TO','Tonga','asia_pacific',false,true,false),
('TR','Türkiye','europe',false,false,false),
('TT','Trinidad and Tobago','americas',false,true,false),
('TV','Tuvalu','asia_pacific',true,true,false),
('TW','Taiwan, Province of China','asia_pacific',false,false,false),
('TZ','Tanzania, United Republic of','africa',true,false,false),
('UA','Ukraine','europe',false,false,false),
('UG','Uganda','africa',true,false,true),
('UM','United States Minor Outlying Islands','asia_pacific',false,false,false),
('US','United States','americas',false,false,false),
('UY','Uruguay','americas',false,false,false),
('UZ','Uzbekistan','cis',false,false,true),
('VA','Holy See (Vatican City State)','europe',false,false,false),
('VC','Saint Vincent and the Grenadines','americas',false,true,false),
('VE','Venezuela, Bolivarian Republic of','americas',false,false,false),
('VG','Virgin Islands, British','americas',false,true,false),
('VI','Virgin Islands, U.S.','americas',false,true,false),
('VN','Viet Nam','asia_pacific',false,false,false),
('VU','Vanuatu','asia_pacific',false,true,false),
('WF','Wallis and Futuna','asia_pacific',false,false,false),
('WS','Samoa','asia_pacific',false,true,false),
('YE','Yemen','arab_states',true,false,false),
('YT','Mayotte','africa',false,false,false),
('ZA','South Africa','africa',false,false,false),
('ZM','Zambia','africa',true,false,true),
('ZW','Zimbabwe','africa',false,false,true);

-- +goose StatementBegin
DO $$
DECLARE
    n integer;
BEGIN
    SELECT count(*) INTO n FROM countries;
    IF n <> 249 THEN RAISE EXCEPTION 'countries: expected 249 rows, got %', n; END IF;

    SELECT count(*) INTO n FROM countries WHERE ldc;
    IF n <> 44 THEN RAISE EXCEPTION 'countries: expected 44 LDCs, got %', n; END IF;

    SELECT count(*) INTO n FROM countries WHERE sids;
    IF n <> 57 THEN RAISE EXCEPTION 'countries: expected 57 SIDS, got %', n; END IF;

    SELECT count(*) INTO n FROM countries WHERE lldc;
    IF n <> 32 THEN RAISE EXCEPTION 'countries: expected 32 LLDCs, got %', n; END IF;

    SELECT count(*) INTO n FROM countries WHERE sids AND lldc;
    IF n <> 0 THEN RAISE EXCEPTION 'countries: % rows are both SIDS and LLDC', n; END IF;

    SELECT count(*) INTO n FROM (
        SELECT region, count(*) AS c FROM countries GROUP BY region
    ) r
    WHERE (region, c) NOT IN (('africa', 49), ('americas', 55), ('arab_states', 23),
                              ('asia_pacific', 59), ('cis', 10), ('europe', 53));
    IF n <> 0 THEN RAISE EXCEPTION 'countries: unexpected count per region'; END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE countries;
