// The Glassfile parser (glassfile.hpp): not written yet.
