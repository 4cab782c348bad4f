"""The General MIDI instrument map: the 128 programs by name, their NSynth family and a
playable range, and the GM drum kit (keys 35-81 of the percussion channel).

Families follow NSynth's (bass, brass, flute, guitar, keyboard, mallet, organ, reed, string,
synth_lead, vocal); GM's synth pads and effects count as ``synth_lead`` (NSynth's only synth
family), its percussive programs as ``mallet``, and the drum kit and sound effects, which
NSynth does not have, as ``percussion`` and ``effects``.
"""

from __future__ import annotations

from ..errors import ParameterError

__all__ = ["GM_PROGRAMS", "GM_DRUM_KEYS", "gm_family", "gm_range", "gm_program"]

#: The 128 General MIDI level 1 program names, 0-based (program 0 is "Acoustic Grand Piano").
GM_PROGRAMS = (
    "acoustic_grand_piano", "bright_acoustic_piano", "electric_grand_piano", "honky_tonk_piano", "electric_piano_1",
    "electric_piano_2", "harpsichord", "clavinet", "celesta", "glockenspiel", "music_box", "vibraphone", "marimba",
    "xylophone", "tubular_bells", "dulcimer", "drawbar_organ", "percussive_organ", "rock_organ", "church_organ",
    "reed_organ", "accordion", "harmonica", "tango_accordion", "acoustic_guitar_nylon", "acoustic_guitar_steel",
    "electric_guitar_jazz", "electric_guitar_clean", "electric_guitar_muted", "overdriven_guitar", "distortion_guitar",
    "guitar_harmonics", "acoustic_bass", "electric_bass_finger", "electric_bass_pick", "fretless_bass", "slap_bass_1",
    "slap_bass_2", "synth_bass_1", "synth_bass_2", "violin", "viola", "cello", "contrabass", "tremolo_strings",
    "pizzicato_strings", "orchestral_harp", "timpani", "string_ensemble_1", "string_ensemble_2", "synth_strings_1",
    "synth_strings_2", "choir_aahs", "voice_oohs", "synth_voice", "orchestra_hit", "trumpet", "trombone", "tuba",
    "muted_trumpet", "french_horn", "brass_section", "synth_brass_1", "synth_brass_2", "soprano_sax", "alto_sax",
    "tenor_sax", "baritone_sax", "oboe", "english_horn", "bassoon", "clarinet", "piccolo", "flute", "recorder",
    "pan_flute", "blown_bottle", "shakuhachi", "whistle", "ocarina", "lead_1_square", "lead_2_sawtooth",
    "lead_3_calliope", "lead_4_chiff", "lead_5_charang", "lead_6_voice", "lead_7_fifths", "lead_8_bass_lead",
    "pad_1_new_age", "pad_2_warm", "pad_3_polysynth", "pad_4_choir", "pad_5_bowed", "pad_6_metallic", "pad_7_halo",
    "pad_8_sweep", "fx_1_rain", "fx_2_soundtrack", "fx_3_crystal", "fx_4_atmosphere", "fx_5_brightness",
    "fx_6_goblins", "fx_7_echoes", "fx_8_sci_fi", "sitar", "banjo", "shamisen", "koto", "kalimba", "bagpipe", "fiddle",
    "shanai", "tinkle_bell", "agogo", "steel_drums", "woodblock", "taiko_drum", "melodic_tom", "synth_drum",
    "reverse_cymbal", "guitar_fret_noise", "breath_noise", "seashore", "bird_tweet", "telephone_ring", "helicopter",
    "applause", "gunshot",
)
assert len(GM_PROGRAMS) == 128

#: GM percussion keys (channel 10) and their sounds
GM_DRUM_KEYS = {
    35: "acoustic_bass_drum", 36: "bass_drum_1", 37: "side_stick", 38: "acoustic_snare", 39: "hand_clap",
    40: "electric_snare", 41: "low_floor_tom", 42: "closed_hi_hat", 43: "high_floor_tom", 44: "pedal_hi_hat",
    45: "low_tom", 46: "open_hi_hat", 47: "low_mid_tom", 48: "hi_mid_tom", 49: "crash_cymbal_1", 50: "high_tom",
    51: "ride_cymbal_1", 52: "chinese_cymbal", 53: "ride_bell", 54: "tambourine", 55: "splash_cymbal", 56: "cowbell",
    57: "crash_cymbal_2", 58: "vibraslap", 59: "ride_cymbal_2", 60: "hi_bongo", 61: "low_bongo", 62: "mute_hi_conga",
    63: "open_hi_conga", 64: "low_conga", 65: "high_timbale", 66: "low_timbale", 67: "high_agogo", 68: "low_agogo",
    69: "cabasa", 70: "maracas", 71: "short_whistle", 72: "long_whistle", 73: "short_guiro", 74: "long_guiro",
    75: "claves", 76: "hi_wood_block", 77: "low_wood_block", 78: "mute_cuica", 79: "open_cuica", 80: "mute_triangle",
    81: "open_triangle",
}

# GM's groups of eight, and the programs whose NSynth family is not their group's
_GROUP_FAMILY = ("keyboard", "mallet", "organ", "guitar", "bass", "string", "string", "brass", "reed", "flute",
                 "synth_lead", "synth_lead", "synth_lead", "guitar", "mallet", "effects")
_FAMILY = {21: "reed", 22: "reed", 23: "reed", 47: "mallet", 52: "vocal", 53: "vocal", 54: "vocal", 55: "brass",
           62: "brass", 63: "brass", 85: "vocal", 91: "vocal", 108: "mallet", 109: "reed", 110: "string", 111: "reed"}
# playable MIDI ranges by family (GM programs sound over 0-127; real instruments do not)
_RANGE = {"keyboard": (21, 108), "mallet": (53, 96), "organ": (36, 96), "guitar": (40, 84), "bass": (28, 60),
          "string": (36, 96), "brass": (40, 82), "reed": (46, 89), "flute": (60, 96), "synth_lead": (36, 96),
          "vocal": (48, 79), "effects": (48, 72)}
_PROGRAM_RANGE = {40: (55, 100), 41: (48, 88), 42: (36, 76), 43: (28, 67), 46: (24, 103), 47: (40, 60), 56: (54, 82),
                  57: (40, 72), 58: (28, 58), 60: (34, 77), 64: (56, 87), 65: (49, 80), 66: (44, 75), 67: (36, 68),
                  68: (58, 91), 69: (52, 81), 70: (34, 75), 71: (50, 89), 72: (74, 102), 73: (60, 96)}


def gm_family(program):
    """NSynth family of a GM program (0-based)."""
    return _FAMILY.get(program, _GROUP_FAMILY[program // 8])


def gm_range(program):
    """A playable MIDI pitch range (low, high) of a GM program (0-based)."""
    return _PROGRAM_RANGE.get(program, _RANGE[gm_family(program)])


def gm_program(token):
    """A GM program number (0-based) from a number (``"40"``, 0-127) or a name
    (``"violin"``, ``"acoustic_grand_piano"``; case, spaces and hyphens are ignored)."""
    text = str(token).strip()
    if text.isdigit():
        n = int(text)
        if not 0 <= n <= 127:
            raise ParameterError(f"General MIDI programs are numbered 0-127 here (0: acoustic_grand_piano), got {n}")
        return n
    key = text.lower().replace(" ", "_").replace("-", "_").replace("(", "").replace(")", "")
    if key in GM_PROGRAMS:
        return GM_PROGRAMS.index(key)
    close = [n for n in GM_PROGRAMS if key in n]
    raise ParameterError(f"unknown instrument or General MIDI program {token!r}" + (f"; did you mean {', '.join(close[:5])}?" if close else
                                                                    "; give a number 0-127 or a name such as acoustic_grand_piano"))
