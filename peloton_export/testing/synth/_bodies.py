"""The workout, class (``ride``), instructor, member and list-item bodies around a graph."""

from __future__ import annotations

import random
from typing import Any

from peloton_export.raw import JsonObject, RawWorkout
from peloton_export.testing.synth._common import (
    IMG,
    TIMEZONE,
    ZERO_ID,
    Ctx,
    check_units,
    new_id,
    person_for,
    stable_id,
    tz_offset,
    zone_bounds,
)
from peloton_export.testing.synth._graph import effort_zones


def member_profile(seed: int = 0) -> dict[str, Any]:
    """A ``GET /api/me`` body for a made-up member (no real PII: no email, name or birthday)."""
    p = person_for(seed)
    return {
        "id": p.user_id,
        "username": p.username,
        "image_url": f"{IMG}/users/default.png",
        "location": "Demo City",
        "is_private": True,
        "is_profile_private": True,
        "total_workouts": p.total_workouts,
        "total_pedaling_metric_workouts": p.total_workouts // 2,
        "total_non_pedaling_metric_workouts": p.total_workouts - p.total_workouts // 2,
        "cycling_ftp": p.ftp,
        "cycling_ftp_source": "ftp_workout_source",
        "cycling_workout_ftp": p.ftp,
        "cycling_ftp_workout_id": new_id(random.Random(f"demo-ftp-test:{seed}")),
        "estimated_cycling_ftp": p.ftp - 4,
        "default_max_heart_rate": p.max_hr,
        "customized_max_heart_rate": None,
        "default_heart_rate_zones": zone_bounds(p.max_hr),
        "customized_heart_rate_zones": [],
        "weight": p.weight_lb,
        "height": 68.0,
        "created_at": 1_600_000_000 + seed % 1000 * 86_400,
    }


def member_settings(units: str = "imperial") -> dict[str, Any]:
    """A ``GET /api/user/{id}/settings`` body with the given ``distance_unit``."""
    units = check_units(units)
    metric = units == "metric"
    return {
        "distance_unit": units,
        "weight_unit": "metric" if metric else "imperial",
        "height_unit": "metric" if metric else "imperial",
        "workout_maps_private": True,
        "content_preferences": [],
        "is_strava_auto_share_enabled": False,
        "is_fitbit_auto_share_enabled": False,
    }


# ----------------------------------------------------------------------------- instructors


INSTRUCTORS: tuple[str, ...] = ("Avery", "Jordan", "Riley", "Casey", "Morgan", "Quinn", "Rowan", "Skyler")
_INSTRUCTOR_DISCIPLINES = ("cycling", "running", "caesar", "strength", "yoga", "meditation")


def _instructor(first: str) -> JsonObject:
    """A full ``ride.instructor`` object for the made-up instructor ``<first> Demo``."""
    iid = stable_id(f"instructor:{first}")
    img = f"{IMG}/instructors/{first.lower()}"
    return {
        "id": iid,
        "bio": f"{first} Demo is a fictional instructor made up for peloton-export demos.",
        "short_bio": "Fictional demo instructor.",
        "coach_type": "peloton_coach",
        "is_filterable": True,
        "is_instructor_group": False,
        "is_visible": True,
        "is_announced": True,
        "list_order": INSTRUCTORS.index(first) + 1,
        "featured_profile": False,
        "film_link": "",
        "facebook_fan_page": "",
        "music_bio": "",
        "spotify_playlist_uri": "",
        "background": "",
        "ordered_q_and_as": [],
        "instagram_profile": "",
        "strava_profile": "",
        "twitter_profile": "",
        "quote": "Demo data, real effort.",
        "username": f"{first.lower()}demo",
        "name": f"{first} Demo",
        "first_name": first,
        "last_name": "Demo",
        "user_id": stable_id(f"instructor-user:{first}"),
        "life_style_image_url": f"{img}/lifestyle.png",
        "bike_instructor_list_display_image_url": f"{img}/bike.png",
        "web_instructor_list_display_image_url": f"{img}/web.png",
        "ios_instructor_list_display_image_url": f"{img}/ios.png",
        "about_image_url": f"{img}/about.png",
        "image_url": f"{img}/profile.png",
        "jumbotron_url": f"{img}/jumbotron.png",
        "jumbotron_url_dark": f"{img}/jumbotron-dark.png",
        "jumbotron_url_ios": f"{img}/jumbotron-ios.png",
        "web_instructor_list_gif_image_url": None,
        "instructor_hero_image_url": f"{img}/hero.png",
        "workout_share_images": [],
        "fitness_disciplines": list(_INSTRUCTOR_DISCIPLINES),
    }


# ----------------------------------------------------------------------------- workout body


_DISCIPLINE_NAMES = {
    "cycling": "Cycling",
    "running": "Running",
    "walking": "Walking",
    "caesar": "Rowing",
    "strength": "Strength",
    "meditation": "Meditation",
    "yoga": "Yoga",
    "bike_bootcamp": "Bike Bootcamp",
}
_DEVICES = {  # device_type -> (platform, device_type_display_name)
    "home_bike_v1": ("home_bike", "Bike"),
    "home_tread": ("home_tread", "Tread"),
    "caesar": ("caesar", "Row"),
    "iPhone": ("iOS_app", "App"),
    "android": ("android", "App"),
    "apple_watch": ("apple_health", "App"),
}


def class_ride(
    ctx: Ctx,
    *,
    title: str,
    discipline: str,
    duration: int,
    pso: int,
    instructor: str | None,
    metrics: list[str],
    content_provider: str = "peloton",
    pedaling: bool = False,
) -> JsonObject:
    """A full class (``ride``) object with its instructor joined."""
    rid = ctx.hex()
    aired = ctx.start - ctx.rng.randint(30, 900) * 86_400
    aired -= aired % 3600
    iid = stable_id(f"instructor:{instructor}") if instructor else None
    class_type = stable_id(f"class-type:{discipline}")
    length = pso + duration + (ctx.rng.randint(60, 150) if pso >= 60 else pso)
    return {
        "content_availability": "digital_and_above",
        "content_availability_level": "digital_and_above",
        "free_for_limited_time": False,
        "is_limited_ride": False,
        "availability": {"is_available": True, "reason": None},
        "class_type_ids": [class_type],
        "content_provider": content_provider,
        "content_format": "video" if discipline not in ("meditation",) and pso >= 60 else "audio",
        "description": f"A made-up {_DISCIPLINE_NAMES.get(discipline, discipline).lower()} class "
        "for peloton-export demos.",
        "difficulty_estimate": round(ctx.rng.uniform(5.0, 8.5), 4),
        "overall_estimate": round(ctx.rng.uniform(0.97, 0.999), 4),
        "difficulty_rating_avg": round(ctx.rng.uniform(5.0, 8.5), 4),
        "difficulty_rating_count": ctx.rng.randint(100, 5000),
        "difficulty_level": None,
        "duration": duration,
        "equipment_ids": [],
        "equipment_tags": [],
        "explicit_rating": 0,
        "extra_images": [],
        "fitness_discipline": discipline,
        "fitness_discipline_display_name": _DISCIPLINE_NAMES.get(discipline, discipline.title()),
        "has_closed_captions": True,
        "has_pedaling_metrics": pedaling,
        "home_peloton_id": ctx.hex(),
        "id": rid,
        "image_url": f"{IMG}/classes/{rid}.jpg",
        "instructor_id": iid,
        "individual_instructor_ids": [],
        "is_archived": True,
        "is_closed_caption_shown": True,
        "is_explicit": False,
        "has_free_mode": False,
        "is_live_in_studio_only": False,
        "language": "english",
        "origin_locale": "en-US",
        "length": length,
        "live_stream_id": f"{rid}-live",
        "live_stream_url": None,
        "location": "demo-studio-1",
        "metrics": metrics,
        "original_air_time": aired,
        "overall_rating_avg": round(ctx.rng.uniform(0.97, 0.999), 4),
        "overall_rating_count": ctx.rng.randint(100, 5000),
        "pedaling_start_offset": pso,
        "pedaling_end_offset": pso + duration,
        "pedaling_duration": duration,
        "rating": 0,
        "ride_type_id": class_type,
        "ride_type_ids": [class_type],
        "sample_vod_stream_url": None,
        "sample_preview_stream_url": None,
        "scheduled_start_time": aired + 300,
        "series_id": ctx.hex(),
        "sold_out": False,
        "studio_peloton_id": ctx.hex(),
        "title": title,
        "total_ratings": ctx.rng.randint(500, 20000),
        "total_in_progress_workouts": 0,
        "total_workouts": ctx.rng.randint(1000, 60000),
        "vod_stream_url": None,
        "vod_stream_id": f"{rid}-vod",
        "captions": ["en-US"],
        "user_caption_locales": [],
        "join_tokens": {"on_demand": "ZGVtbw=="},
        "flags": [],
        "is_dynamic_video_eligible": False,
        "is_fixed_distance": False,
        "dynamic_video_recorded_speed_in_mph": 0,
        "thumbnail_title": None,
        "thumbnail_location": None,
        "distance": None,
        "distance_unit": None,
        "distance_display_value": None,
        "is_outdoor": False,
        "has_tread_pace_target": False,
        "excluded_platforms": [],
        "class_avg_follow_along_score": 0,
        "muscle_group_score": [],
        "instructor": _instructor(instructor) if instructor else None,
    }


def pseudo_ride(ctx: Ctx, title: str, duration: int, name: str | None, image: str) -> JsonObject:
    """The minimal ride of freestyle and imported workouts (all-zero id)."""
    ride: JsonObject = {
        "id": ZERO_ID,
        "is_archived": False,
        "title": title,
        "scheduled_start_time": ctx.start,
        "duration": duration,
    }
    ride["instructor"] = {"name": name, "image_url": f"{IMG}/{image}.png"} if name else None
    return ride


def workout_body(
    ctx: Ctx,
    *,
    discipline: str,
    device: str,
    ride: JsonObject,
    end: int | None,
    total_work: float,
    metrics_type: str | None,
    workout_type: str = "class",
    pedaling: bool = False,
    outdoor: bool = False,
    hr_zones: dict[str, int] | None = None,
    pause: int | None = None,
    intro: int = 60,
    status: str = "COMPLETE",
) -> JsonObject:
    """The workout detail body (``joins=ride,ride.instructor``)."""
    platform, device_name = _DEVICES[device]
    created = ctx.start - intro - ctx.rng.randint(0, 5)
    wid = ctx.hex()
    effort = effort_zones(hr_zones)
    ftp = ctx.person.ftp if discipline in ("cycling", "bike_bootcamp") else 0
    ranked = workout_type == "class" and pedaling
    return {
        "created_at": created,
        "device_type": device,
        "end_time": end,
        "fitness_discipline": discipline,
        "has_pedaling_metrics": pedaling,
        "has_leaderboard_metrics": workout_type == "class" and device not in ("iPhone", "android"),
        "id": wid,
        "is_total_work_personal_record": False,
        "is_outdoor": outdoor,
        "metrics_type": metrics_type,
        "name": f"{_DISCIPLINE_NAMES.get(discipline, discipline.title())} Workout",
        "peloton_id": ctx.hex(),
        "platform": platform,
        "start_time": ctx.start,
        "status": status,
        "timezone": TIMEZONE,
        "title": None,
        "total_work": round(total_work, 2),
        "user_id": ctx.person.user_id,
        "workout_type": workout_type,
        "total_video_watch_time_seconds": 0,
        "total_video_buffering_seconds": 0,
        "v2_total_video_watch_time_seconds": (end - created) if end is not None else None,
        "v2_total_video_buffering_seconds": ctx.rng.randint(0, 2),
        "total_music_audio_play_seconds": None,
        "total_music_audio_buffer_seconds": None,
        "service_id": None,
        "created": created,
        "device_time_created_at": created + tz_offset(created),
        "strava_id": None,
        "fitbit_id": None,
        "is_skip_intro_available": intro >= 60,
        "pause_time_remaining": None,
        "pause_time_elapsed": pause,
        "is_paused": False,
        "has_paused": bool(pause),
        "is_pause_available": True,
        "pause_time_limit": 60 if workout_type == "class" else None,
        "ride": ride,
        "total_heart_rate_zone_durations": dict(hr_zones) if hr_zones else None,
        "average_effort_score": round(effort["total_effort_points"]) if effort else None,
        "achievement_templates": [],
        "leaderboard_rank": ctx.rng.randint(100, 9000) if ranked else None,
        "total_leaderboard_users": ctx.rng.randint(9000, 30000) if ranked else 0,
        "ftp_info": {"ftp": ftp, "ftp_source": "ftp_workout_source" if ftp else None, "ftp_workout_id": None},
        "device_type_display_name": device_name,
    }


def wrap_raw(workout: JsonObject, graph: JsonObject | None, details: JsonObject | None = None) -> RawWorkout:
    """Wrap the bodies as a demo :class:`RawWorkout`."""
    return RawWorkout(
        workout_id=workout["id"],
        workout=workout,
        performance_graph=graph,
        ride_details=details,
        source="demo",
    )


#: Workout keys that the list endpoint returns (a subset of the detail object).
_LIST_KEYS = (
    "created_at",
    "device_type",
    "end_time",
    "fitness_discipline",
    "has_pedaling_metrics",
    "has_leaderboard_metrics",
    "id",
    "is_total_work_personal_record",
    "is_outdoor",
    "metrics_type",
    "name",
    "peloton_id",
    "platform",
    "start_time",
    "status",
    "timezone",
    "title",
    "total_work",
    "user_id",
    "workout_type",
    "total_video_watch_time_seconds",
    "total_video_buffering_seconds",
    "v2_total_video_watch_time_seconds",
    "v2_total_video_buffering_seconds",
    "total_music_audio_play_seconds",
    "total_music_audio_buffer_seconds",
    "service_id",
    "created",
    "device_time_created_at",
    "strava_id",
    "fitbit_id",
    "effort_zones",
    "ride",
)


def list_item(raw: RawWorkout) -> dict[str, Any]:
    """The workout as an item of ``GET /api/user/{id}/workouts?joins=ride,ride.instructor``."""
    w = raw.workout
    item = {k: w[k] for k in _LIST_KEYS if k in w}
    if "effort_zones" not in item:
        item["effort_zones"] = (raw.performance_graph or {}).get("effort_zones")
    return item
